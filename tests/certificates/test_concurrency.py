"""Many simultaneous completions of one module by one learner: one completion, one certificate.

This relies on the learning service's row lock and the database's unique constraints, so it only
means something on PostgreSQL; on SQLite (which serialises writers) it skips with a reason.
"""

from __future__ import annotations

import urllib.request
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from certificates.models import Certificate
from learning import services as learning_services
from learning.models import ModuleCompletion
from tests.concurrency import run_concurrently as _run_concurrently

from .factories import build_module, member, sections_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
THREADS = 24


def test_many_simultaneous_completions_give_one_completion_and_one_certificate():
    module = build_module(sections=1)
    learner = member(first_name="Siân", last_name="Gruffydd")
    (section,) = sections_of(module)
    # Two tabs and a double click, many times over: every call can be the one that completes.
    calls = []
    for i in range(THREADS):
        at = T0 + timedelta(milliseconds=i)
        if i % 2:
            calls.append(lambda at=at: learning_services.record_access(
                membership=learner, module=module, section=section, at=at))
        else:
            calls.append(lambda at=at: (
                learning_services.record_access(membership=learner, module=module, section=section, at=at),
                learning_services.record_completion(membership=learner, module=module, at=at),
            ))
    assert _run_concurrently(calls) == []

    assert ModuleCompletion.objects.filter(user=learner.user, module=module).count() == 1
    certificate = Certificate.objects.get()
    assert certificate.completion == ModuleCompletion.objects.get()
    # The after-commit work ran once: one PDF, one email.
    assert certificate.pdf
    assert len(mail.outbox) == 1


def test_many_simultaneous_section_requests_over_http_never_fail(live_server, client):
    module = build_module(sections=1)
    learner = member()
    (section,) = sections_of(module)
    client.force_login(learner.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    url = live_server.url + section.get_url()
    statuses: list[int] = []

    def fetch():
        request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310 - the test server
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            statuses.append(response.status)

    assert _run_concurrently([fetch] * THREADS) == []
    assert statuses == [200] * THREADS
    assert ModuleCompletion.objects.filter(user=learner.user, module=module).count() == 1
    assert Certificate.objects.filter(user=learner.user, module=module).count() == 1

"""A real Celery worker on Redis runs a real task end to end: an invitation email.

Skipped (with the reason) when REDIS_URL is not set or unreachable; CI sets it and
REQUIRE_ALL_SERVICES=1, so there it must run.
"""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from celery.contrib.testing.worker import start_worker
from celery.signals import task_postrun
from django.core import mail
from django.db import connections

from accounts.roles import PracticeRole
from config.celery import app
from outbox.models import Job
from practices import services
from practices.models import Invitation
from tests.practices.factories import make_member

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


RAN: list[tuple[str, str]] = []


def _after_task(task=None, **kwargs) -> None:
    RAN.append((task.name, threading.current_thread().name))
    # The worker thread opens its own database connection; close it so the test database can be dropped.
    connections.close_all()


@pytest.fixture
def worker_queue():
    """Start an in-process worker consuming a queue of its own, with eager execution off."""
    queue = f"test-{uuid.uuid4().hex[:12]}"
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    RAN.clear()
    task_postrun.connect(_after_task, weak=False)
    try:
        with start_worker(app, pool="solo", concurrency=1, perform_ping_check=False, queues=[queue], shutdown_timeout=30):
            yield queue
    finally:
        task_postrun.disconnect(_after_task)
        app.conf.task_always_eager, app.conf.task_default_queue = previous


def test_a_real_worker_sends_the_invitation_email(worker_queue):
    assert "redis" in app.conf.broker_url
    lead = make_member(is_lead=True)
    # The service enqueues after commit; with eager execution off, the task goes through Redis.
    invitation = services.invite_colleague(
        practice=lead.practice, invited_by=lead.user, email="worker@example.org", role=PracticeRole.GP
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        invitation.refresh_from_db()
        if invitation.sent_at is not None:
            break
        time.sleep(0.2)
    assert invitation.sent_at is not None, "the worker did not run the task within 30 s"
    assert [message.to for message in mail.outbox] == [["worker@example.org"]]
    assert f"/join/{invitation.token}/" in mail.outbox[0].body
    # It ran in the worker's thread, having travelled through Redis as an outbox job, not eagerly in this one.
    assert [name for name, _ in RAN] == ["outbox.tasks.run_job"]
    assert Job.objects.get().task == "practices.tasks.send_invitation_email"
    assert RAN[0][1] != threading.current_thread().name
    assert Invitation.objects.get(pk=invitation.pk).sent_at == invitation.sent_at

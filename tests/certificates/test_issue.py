"""Certificates are issued once per completion, in the completion's transaction, with a snapshot."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.db import IntegrityError, transaction

from certificates import services
from certificates.models import Certificate
from learning import services as learning_services
from learning.models import ModuleCompletion

from .factories import build_module, complete_module, member, sections_of

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_completing_a_module_issues_one_certificate_with_a_snapshot():
    module = build_module(title="Asthma reviews in depth", cpd_hours="2.50", valid_months=24)
    learner = member(first_name="Siân", last_name="Llŷr Gruffydd", registration_body="NMC", registration_number="12A3456E")
    completion = complete_module(learner, module, at=T0)

    certificate = Certificate.objects.get()
    assert certificate.completion == completion
    assert certificate.user == learner.user
    assert certificate.practice == learner.practice
    assert certificate.module == module
    assert certificate.module_title == "Asthma reviews in depth"
    assert certificate.module_version == completion.module_version == 1
    assert certificate.holder_name == "Siân Llŷr Gruffydd"
    assert certificate.registration == "NMC 12A3456E"
    assert certificate.learning_hours == Decimal("2.50")
    assert certificate.completed_on == date(2026, 3, 2)
    assert certificate.expires_on == date(2028, 3, 2)
    assert certificate.status_on(date(2028, 3, 1)) == "valid"
    assert certificate.status_on(date(2028, 3, 2)) == "expired"
    assert certificate.revoked_at is None


def test_the_snapshot_does_not_change_when_the_learner_or_module_does():
    module = build_module(title="Team module")
    learner = member(first_name="Alex", last_name="Jones")
    complete_module(learner, module, at=T0)
    learner.user.last_name = "Smith"
    learner.user.save()
    module.title = "Team module (revised)"
    module.save_revision().publish()

    certificate = Certificate.objects.get()
    assert certificate.holder_name == "Alex Jones"
    assert certificate.module_title == "Team module"


def test_further_views_and_repeated_completion_calls_issue_nothing_more():
    module = build_module()
    learner = member()
    complete_module(learner, module, at=T0)
    for section in sections_of(module):
        learning_services.record_access(membership=learner, module=module, section=section, at=T0)
    assert learning_services.record_completion(membership=learner, module=module, at=T0) is None
    assert ModuleCompletion.objects.count() == 1
    assert Certificate.objects.count() == 1


def test_issue_certificate_is_idempotent():
    module = build_module()
    complete_module(member(), module, at=T0)
    completion = ModuleCompletion.objects.get()
    first = Certificate.objects.get()
    assert services.issue_certificate(completion=completion) == first
    assert Certificate.objects.count() == 1


def test_the_database_refuses_a_second_certificate_for_a_completion():
    module = build_module()
    complete_module(member(), module, at=T0)
    existing = Certificate.objects.get()
    duplicate = Certificate(
        completion=existing.completion, user=existing.user, module=existing.module, practice=existing.practice,
        module_version=1, module_title="x", holder_name="x", learning_hours=1, completed_on=existing.completed_on,
        issued_at=existing.issued_at,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save()


def test_a_failure_to_issue_rolls_back_the_completion_too():
    module = build_module()
    learner = member()
    with (
        mock.patch.object(Certificate.objects, "get_or_create", side_effect=RuntimeError("disk full")),
        pytest.raises(RuntimeError),
    ):
        complete_module(learner, module, at=T0)
    assert ModuleCompletion.objects.count() == 0
    assert Certificate.objects.count() == 0


def test_pdf_and_ready_email_follow_the_commit(django_capture_on_commit_callbacks):
    module = build_module(title="Team module")
    learner = member(first_name="Siân", last_name="Gruffydd")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        complete_module(learner, module, at=T0)
        certificate = Certificate.objects.get()
        # Nothing rendered or sent before the transaction commits.
        assert not certificate.pdf
        assert mail.outbox == []
    assert len(callbacks) == 1
    callbacks[0]()

    certificate.refresh_from_db()
    assert certificate.pdf.name.startswith("certificates/pdf/")
    assert certificate.code not in certificate.pdf.name
    with certificate.pdf.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [learner.user.email]
    assert message.subject == "Your certificate is ready: Team module"
    assert "http://testserver/certificates/" in message.body
    assert certificate.display_code in message.body
    assert certificate.ready_email_sent_at is not None

    # The task may run twice (acks_late): no second email, no second render.
    name = certificate.pdf.name
    from certificates.tasks import prepare_certificate

    prepare_certificate.delay(certificate.pk)
    certificate.refresh_from_db()
    assert certificate.pdf.name == name
    assert len(mail.outbox) == 1


def test_a_broker_outage_never_breaks_the_completion_and_the_sweep_sends_the_email_once(
    django_capture_on_commit_callbacks,
):
    from kombu.exceptions import OperationalError

    from outbox.models import Job, JobStatus
    from outbox.tasks import run_job, sweep_outbox

    module = build_module()
    learner = member()
    with (
        mock.patch.object(run_job, "apply_async", side_effect=OperationalError("broker down")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        complete_module(learner, module, at=T0)
    certificate = Certificate.objects.get()
    assert not certificate.pdf
    assert mail.outbox == []
    job = Job.objects.get()
    assert (job.task, job.args, job.status) == ("certificates.tasks.prepare_certificate", [certificate.pk], JobStatus.PENDING)

    # The broker is back: beat's sweep delivers it, and a second sweep sends nothing more.
    sweep_outbox.delay()
    sweep_outbox.delay()
    certificate.refresh_from_db()
    assert certificate.pdf
    assert [message.to for message in mail.outbox] == [[learner.user.email]]
    assert Job.objects.get().status == JobStatus.DONE


def test_a_failed_email_is_released_for_the_retry():
    module = build_module()
    complete_module(member(), module, at=T0)
    certificate = Certificate.objects.get()
    with (
        mock.patch("certificates.services.send_mail", side_effect=ConnectionError("smtp down")),
        pytest.raises(ConnectionError),
    ):
        services.send_certificate_ready_email(certificate=certificate)
    certificate.refresh_from_db()
    assert certificate.ready_email_sent_at is None
    assert services.send_certificate_ready_email(certificate=certificate) is True
    assert services.send_certificate_ready_email(certificate=certificate) is False
    assert len(mail.outbox) == 1

"""The outbox on the embedded database: recorded with the change, claimed once, retried with backoff."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from outbox import services
from outbox.models import Job, JobStatus
from outbox.tasks import run_job, sweep_outbox
from tests.outbox import tasks as test_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh():
    test_tasks.CALLS.clear()
    services._broker_down_until = 0.0
    yield
    services._broker_down_until = 0.0


@pytest.fixture
def broker_mode(settings):
    """Run as production does: tasks go to a broker instead of running in-process."""
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = previous


def _job(task: str = "tests.outbox.tasks.record_call", args=("a",), **fields) -> Job:
    return Job.objects.create(task=task, args=list(args), **fields)


def test_a_job_is_written_with_the_change_and_run_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.enqueue_after_commit(task="tests.outbox.tasks.record_call", args=["hello"])
        assert Job.objects.get().status == JobStatus.PENDING
        assert test_tasks.CALLS == []
    assert len(callbacks) == 1
    callbacks[0]()
    assert test_tasks.CALLS == ["hello"]
    job.refresh_from_db()
    assert (job.status, job.attempts, job.claim, job.locked_until) == (JobStatus.DONE, 1, None, None)


def test_a_rolled_back_change_records_and_runs_nothing(django_capture_on_commit_callbacks):
    def change_that_fails() -> None:
        with transaction.atomic():
            services.enqueue_after_commit(task="tests.outbox.tasks.record_call", args=["never"])
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        change_that_fails()
    assert not Job.objects.exists()
    assert test_tasks.CALLS == []


def test_an_unknown_task_is_refused_by_name():
    with pytest.raises(ValueError, match="No Celery task is registered as 'nowhere.tasks.nothing'"):
        services.enqueue_after_commit(task="nowhere.tasks.nothing")
    assert not Job.objects.exists()


def test_only_one_claim_wins_until_its_lease_lapses():
    job = _job(lease_seconds=60)
    first = services.claim_job(job_id=job.pk)
    assert first is not None
    assert (first.status, first.attempts) == (JobStatus.RUNNING, 1)
    # A second worker (or the same message delivered twice) gets nothing while the lease holds.
    assert services.claim_job(job_id=job.pk) is None
    assert services.run_job(job_id=job.pk) is False
    assert test_tasks.CALLS == []
    # The first worker died: after the lease, another worker takes the job over.
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        second = services.claim_job(job_id=job.pk)
        assert second is not None
        assert second.attempts == 2
        assert second.claim != first.claim
    # The dead worker's late report changes nothing: its claim is no longer the job's.
    services._finish(first)
    assert Job.objects.get(pk=job.pk).status == JobStatus.RUNNING


def test_a_done_job_runs_once_however_often_it_is_delivered():
    job = _job()
    assert run_job.delay(job.pk).get() is True
    assert run_job.delay(job.pk).get() is False
    sweep_outbox.delay()
    assert test_tasks.CALLS == ["a"]
    assert Job.objects.get().status == JobStatus.DONE


def test_failures_back_off_then_give_up():
    job = _job(task="tests.outbox.tasks.always_fails", args=(), max_attempts=3)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert services.run_job(job_id=job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.PENDING, 1)
    assert job.available_at == start + timedelta(seconds=30)
    assert job.last_error == "ConnectionRefusedError: mail server refused the connection"
    # Not due yet: neither a worker nor the sweep touches it.
    with time_machine.travel(start + timedelta(seconds=29), tick=False):
        assert services.claim_job(job_id=job.pk) is None
        assert services.sweep_outbox() == 0
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert services.run_job(job_id=job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.PENDING, 2)
    assert job.available_at == start + timedelta(seconds=30 + 60)
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        assert services.run_job(job_id=job.pk) is False
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, 3)
    assert job.finished_at is not None
    with time_machine.travel(start + timedelta(days=1)):
        assert services.sweep_outbox() == 0
        assert services.claim_job(job_id=job.pk) is None


def test_backoff_doubles_up_to_an_hour():
    assert [services.backoff_seconds(n) for n in (1, 2, 3, 4, 8, 20)] == [30, 60, 120, 240, 3600, 3600]


def test_the_sweep_gives_up_on_a_job_whose_worker_died_on_its_last_attempt():
    job = _job(max_attempts=1, lease_seconds=60)
    assert services.claim_job(job_id=job.pk) is not None
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        services.sweep_outbox()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert test_tasks.CALLS == []


def test_the_sweep_runs_what_the_broker_missed_and_forgets_old_done_jobs():
    due = _job(args=("due",))
    later = _job(args=("later",), available_at=timezone.now() + timedelta(minutes=5))
    old = _job(args=("old",), status=JobStatus.DONE, finished_at=timezone.now() - timedelta(days=15))
    assert services.sweep_outbox() == 1
    assert test_tasks.CALLS == ["due"]
    assert set(Job.objects.values_list("pk", "status")) == {(due.pk, JobStatus.DONE), (later.pk, JobStatus.PENDING)}
    assert not Job.objects.filter(pk=old.pk).exists()


def test_a_dead_broker_costs_one_attempt_then_requests_leave_it_to_the_sweep(broker_mode, django_capture_on_commit_callbacks):
    with (
        mock.patch.object(run_job, "apply_async", side_effect=OperationalError("Connection refused")) as publish,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.enqueue_after_commit(task="tests.outbox.tasks.record_call", args=["one"])
        services.enqueue_after_commit(task="tests.outbox.tasks.record_call", args=["two"])
    # One publish tried, with no retries; the second job did not wait on the dead broker at all.
    assert publish.call_count == 1
    assert publish.call_args.kwargs == {"retry": False}
    assert list(Job.objects.values_list("status", flat=True)) == [JobStatus.PENDING, JobStatus.PENDING]


def test_a_failure_while_tasks_run_in_process_does_not_silence_the_broker_later(settings):
    from config.celery import app

    with mock.patch.object(run_job, "apply_async", side_effect=RuntimeError("task crashed in-process")):
        assert services.dispatch(job_id=1) is False
    app.conf.task_always_eager = False
    try:
        with mock.patch.object(run_job, "apply_async") as publish:
            assert services.dispatch(job_id=1) is True
        assert publish.call_count == 1
    finally:
        app.conf.task_always_eager = True


def test_a_broker_error_after_the_invitation_commits_still_shows_the_lead_success(
    client, broker_mode, django_capture_on_commit_callbacks
):
    from practices.models import Invitation
    from tests.practices.factories import make_member

    lead = make_member(is_lead=True)
    client.force_login(lead.user)
    with (
        mock.patch.object(run_job, "apply_async", side_effect=OperationalError("Connection refused")),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post(
            "/practice/invite/",
            {"email": "colleague@example.org", "first_name": "Col", "last_name": "League", "role": "gp"},
            follow=True,
        )
    assert response.status_code == 200
    assert "colleague@example.org" in response.content.decode()
    invitation = Invitation.objects.get()
    assert invitation.sent_at is None
    job = Job.objects.get()
    assert (job.task, job.args, job.status) == ("practices.tasks.send_invitation_email", [invitation.pk], JobStatus.PENDING)


def test_an_email_keeps_its_parts_and_message_id_and_its_body_is_dropped_once_sent(django_capture_on_commit_callbacks):
    message = EmailMultiAlternatives(
        subject="Confirm your email", body="Open http://testserver/confirm/KEY/", to=["a@example.org"],
        cc=["c@example.org"], reply_to=["help@example.org"], headers={"X-Kind": "verification"},
    )
    message.attach_alternative("<p>Open the link</p>", "text/html")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.enqueue_email(message=message)
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert (sent.subject, sent.body, sent.to, sent.cc, sent.reply_to) == (
        "Confirm your email", "Open http://testserver/confirm/KEY/", ["a@example.org"], ["c@example.org"],
        ["help@example.org"],
    )
    assert sent.alternatives == [("<p>Open the link</p>", "text/html")]
    assert sent.extra_headers["X-Kind"] == "verification"
    assert sent.extra_headers["Message-ID"].startswith("<")
    job.refresh_from_db()
    assert (job.status, job.args) == (JobStatus.DONE, [])


def test_an_email_the_outbox_cannot_carry_is_refused_clearly():
    with_file = EmailMessage(subject="s", body="b", to=["a@example.org"])
    with_file.attach("notes.txt", "hello", "text/plain")
    with pytest.raises(ValueError, match="without attachments"):
        services.enqueue_email(message=with_file)
    with pytest.raises(ValueError, match="at least one recipient"):
        services.enqueue_email(message=EmailMessage(subject="s", body="b"))
    assert not Job.objects.exists()


def test_allauths_verification_email_goes_through_the_outbox(client, django_capture_on_commit_callbacks):
    from tests.accounts.factories import PASSWORD

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(
            "/accounts/signup/",
            {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD, "first_name": "N", "last_name": "P"},
        )
    job = Job.objects.get()
    assert job.task == services.EMAIL_TASK
    assert job.args[0]["to"] == ["new@example.org"]
    assert mail.outbox == []
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [["new@example.org"]]
    assert "/accounts/confirm-email/" in mail.outbox[0].body

"""The outbox in the Wagtail admin: admins only, no message contents, and Retry for a job that gave up."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from wagtail.models import ModelLogEntry

from accounts.roles import ADMIN, EDITOR, LEARNER, MODERATOR, RESEARCHER
from outbox import services
from outbox.models import Job, JobStatus
from tests.accounts.factories import make_user, sign_in_with_second_factor, staff_user
from tests.outbox import tasks as test_tasks

pytestmark = pytest.mark.django_db

LIST = "/admin/outbox/"
SECRET_LINK = "https://testserver/join/s3cr3t-invitation-token/"


@pytest.fixture(autouse=True)
def _fresh():
    test_tasks.CALLS.clear()
    services._broker_down_until = 0.0


def _retry_url(job: Job) -> str:
    return f"/admin/outbox/retry/{job.pk}/"


def _failed_job(**fields) -> Job:
    values = {
        "task": "tests.outbox.tasks.record_call", "args": ["again"], "status": JobStatus.FAILED, "attempts": 3,
        "max_attempts": 3, "last_error": "ConnectionRefusedError: mail server refused the connection",
    }
    return Job.objects.create(**{**values, **fields})


@pytest.fixture
def jobs(django_capture_on_commit_callbacks):
    """A waiting invitation email (its hand-over to a worker never ran) and a task that gave up."""
    with django_capture_on_commit_callbacks(execute=False):
        email = services.enqueue_email(
            message=EmailMessage(
                subject="Join Riverside Surgery", body=f"Accept your invitation: {SECRET_LINK}",
                to=["olive.oyl@example.org"],
            )
        )
    failed = _failed_job(
        last_error=f"SMTPRecipientsRefused: {{'olive.oyl@example.org': (550, b'no')}} while sending {SECRET_LINK}"
    )
    return email, failed


def test_admin_sees_jobs_without_message_contents_addresses_or_tokens(client, jobs):
    email, failed = jobs
    sign_in_with_second_factor(client, staff_user(ADMIN))
    response = client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    for shown in ("Email to o…@example.org", "Waiting", "Failed (gave up)", "tests.outbox.tasks.record_call",
                  "3 of 3", "SMTPRecipientsRefused: {&#x27;o…@example.org&#x27;: (550, b&#x27;no&#x27;)} while sending [link]",
                  _retry_url(failed)):
        assert shown in html, shown
    for hidden in ("olive.oyl", "s3cr3t-invitation-token", "Accept your invitation", "Join Riverside Surgery"):
        assert hidden not in html, hidden
    # Only a job that gave up can be retried.
    assert _retry_url(email) not in html


def test_admin_filters_jobs_by_status(client, jobs):
    email, failed = jobs
    sign_in_with_second_factor(client, staff_user(ADMIN))
    html = client.get(LIST, {"status": "failed"}).content.decode()
    assert _retry_url(failed) in html
    assert "Email to o…@example.org" not in html
    html = client.get(LIST, {"status": "pending"}).content.decode()
    assert "Email to o…@example.org" in html
    assert _retry_url(failed) not in html


@pytest.mark.parametrize("group", [EDITOR, MODERATOR, RESEARCHER])
def test_other_staff_neither_see_the_outbox_nor_retry(client, jobs, group):
    _, failed = jobs
    sign_in_with_second_factor(client, staff_user(group))
    dashboard = client.get("/admin/")
    assert dashboard.status_code == 200
    assert LIST not in dashboard.content.decode()
    # Wagtail answers a screen the user may not open with a redirect to the dashboard and a message.
    for response in (client.get(LIST), client.get(_retry_url(failed)), client.post(_retry_url(failed))):
        assert (response.status_code, response.get("Location")) == (302, "/admin/")
    failed.refresh_from_db()
    assert failed.status == JobStatus.FAILED


def test_a_learner_gets_403(client, jobs):
    _, failed = jobs
    client.force_login(make_user(groups=(LEARNER,)))
    assert client.get(LIST).status_code == 403
    assert client.post(_retry_url(failed)).status_code == 403
    failed.refresh_from_db()
    assert failed.status == JobStatus.FAILED


def test_admin_retries_a_failed_job_which_then_runs_once(client, django_capture_on_commit_callbacks):
    failed = _failed_job()
    admin = staff_user(ADMIN)
    sign_in_with_second_factor(client, admin)
    confirm = client.get(_retry_url(failed))
    assert confirm.status_code == 200
    assert "mail server refused the connection" in confirm.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_retry_url(failed))
    assert response.status_code == 302
    assert response["Location"] == LIST
    assert test_tasks.CALLS == ["again"]
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == (JobStatus.DONE, 1, "")

    entry = ModelLogEntry.objects.get(action=services.RETRY_ACTION)
    assert (entry.user_id, entry.object_id) == (admin.pk, str(failed.pk))
    assert entry.data == {"task": "tests.outbox.tasks.record_call", "attempts": 3}
    assert entry.message == "Retried outbox job"

    # Delivered again, or swept: it does not run a second time, and cannot be retried again.
    assert services.run_job(job_id=failed.pk) is False
    services.sweep_outbox()
    assert test_tasks.CALLS == ["again"]
    again = client.post(_retry_url(failed), follow=True)
    assert "Only a job that gave up can be retried; this one is done." in again.content.decode()
    assert ModelLogEntry.objects.filter(action=services.RETRY_ACTION).count() == 1


def test_retry_puts_the_job_back_to_pending_for_a_worker(django_capture_on_commit_callbacks):
    failed = _failed_job()
    admin = staff_user(ADMIN)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.retry_job(job=failed, by=admin)
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.finished_at) == (JobStatus.PENDING, 0, None)
    # The last error stays until the job succeeds: it says why it had given up.
    assert failed.last_error == "ConnectionRefusedError: mail server refused the connection"
    assert test_tasks.CALLS == []
    # Handed to a worker after commit (with the broker down, beat's sweep delivers it).
    assert len(callbacks) == 1
    callbacks[0]()
    assert test_tasks.CALLS == ["again"]


@pytest.mark.parametrize("status", [JobStatus.PENDING, JobStatus.RUNNING, JobStatus.DONE])
def test_only_a_job_that_gave_up_can_be_retried(status):
    job = Job.objects.create(task="tests.outbox.tasks.record_call", args=["x"], status=status, attempts=1)
    with pytest.raises(ValidationError, match=f"Only a job that gave up can be retried; this one is {status.label.lower()}"):
        services.retry_job(job=job, by=staff_user(ADMIN))
    job.refresh_from_db()
    assert (job.status, job.attempts) == (status, 1)
    assert not ModelLogEntry.objects.filter(action=services.RETRY_ACTION).exists()


def test_the_service_refuses_anyone_but_an_admin():
    failed = _failed_job()
    with pytest.raises(PermissionDenied):
        services.retry_job(job=failed, by=staff_user(EDITOR))
    failed.refresh_from_db()
    assert failed.status == JobStatus.FAILED

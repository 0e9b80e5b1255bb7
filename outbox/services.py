"""Writes for the outbox: record a job with the change, hand it to a worker, claim, run and retry it.

Why not django-post-office for the emails: it hands mail to Celery with a bare
`transaction.on_commit(send_queued_mail.delay)`, so a dead broker raises into the request after the
commit, and two senders are kept apart only by a lock file on one machine, so two workers on two
hosts can both send the same queued email. Our jobs need the same guarantees as our emails (a claim
in the database, a lease, backoff), so one small table serves both.

Delivery is exactly once per job in the database: a conditional UPDATE lets one worker claim a job,
and a claim lapses after the job's lease so a job whose worker died is run again. The one gap no
queue can close is a worker that dies after the mail server accepted a message but before the job
is marked done; the message keeps its Message-ID across retries so mail systems can recognise it.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import time
import uuid
from collections.abc import Sequence
from datetime import timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from wagtail.log_actions import log

from core.logs import log_at_most_every
from core.permissions import is_site_admin

from .models import Job, JobStatus

logger = logging.getLogger(__name__)

EMAIL_TASK = "outbox.tasks.deliver_email"
RUN_TASK = "outbox.tasks.run_job"
RETRY_ACTION = "outbox.retry"
# Backoff after a failed attempt: 30 s, 1 min, 2 min ... capped at an hour.
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
# After a failed hand-over to the broker, requests skip it for this long (beat's sweep delivers).
BROKER_QUIET_SECONDS = 30
DONE_KEPT_FOR = timedelta(days=14)

_broker_down_until = 0.0


def backoff_seconds(attempts: int) -> int:
    """Return how long to wait before the next try of a job that has failed `attempts` times."""
    return min(BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0), BACKOFF_MAX_SECONDS)


def registered_task(name: str):
    """Return the Celery task registered under a dotted name, importing its `tasks` module if need be."""
    module = name.rpartition(".")[0]
    # A web process has not imported every tasks module (Celery discovers them when a worker starts).
    if name not in current_app.tasks and module.endswith(".tasks"):
        with contextlib.suppress(ImportError):
            importlib.import_module(module)
    if name not in current_app.tasks:
        raise ValueError(f"No Celery task is registered as {name!r}; the outbox can only run registered tasks.")
    return current_app.tasks[name]


def _task_name(task) -> str:
    name = task if isinstance(task, str) else getattr(task, "name", "")
    registered_task(name)
    return name


def enqueue_after_commit(
    *, task, args: Sequence = (), lease_seconds: int = 300, max_attempts: int = 8
) -> Job:
    """Record a job in the current transaction and hand it to a worker once the transaction commits.

    Never raises when the broker is down: the row is already saved, and beat's sweep delivers it.
    """
    job = Job.objects.create(
        task=_task_name(task), args=list(args), lease_seconds=lease_seconds, max_attempts=max_attempts
    )
    # After commit: the worker must find the row, and a rolled-back change sends nothing.
    transaction.on_commit(partial(dispatch, job_id=job.pk), robust=True)
    return job


def email_payload(message: EmailMessage) -> dict:
    """Return a JSON-safe copy of an email message, refusing what the outbox cannot carry."""
    if message.attachments:
        raise ValueError("The outbox sends emails without attachments; link to the file instead.")
    if not message.recipients():
        raise ValueError("An email needs at least one recipient.")
    headers = dict(message.extra_headers)
    # One Message-ID for every attempt, so a resend after a worker crash is recognisably the same email.
    headers.setdefault("Message-ID", make_msgid())
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email or settings.DEFAULT_FROM_EMAIL,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": {str(k): str(v) for k, v in headers.items()},
        "content_subtype": message.content_subtype,
        "alternatives": [[str(content), mimetype] for content, mimetype in getattr(message, "alternatives", [])],
    }


def enqueue_email(*, message: EmailMessage) -> Job:
    """Record an email in the current transaction; a worker sends it after commit."""
    return enqueue_after_commit(task=EMAIL_TASK, args=[email_payload(message)])


def deliver_email(*, payload: dict) -> None:
    """Send one recorded email through the configured EMAIL_BACKEND."""
    message = EmailMultiAlternatives(
        subject=payload["subject"], body=payload["body"], from_email=payload["from_email"],
        to=payload["to"], cc=payload["cc"], bcc=payload["bcc"], reply_to=payload["reply_to"],
        headers=payload["headers"], connection=get_connection(fail_silently=False),
    )
    message.content_subtype = payload.get("content_subtype", "plain")
    for content, mimetype in payload.get("alternatives", []):
        message.attach_alternative(content, mimetype)
    message.send(fail_silently=False)


def dispatch(*, job_id: int) -> bool:
    """Ask a worker to run the job now; return False (and leave it to the sweep) if the broker is down."""
    global _broker_down_until
    from .tasks import run_job

    eager = current_app.conf.task_always_eager
    if not eager and time.monotonic() < _broker_down_until:
        return False
    try:
        # No publish retries: the job is safe in the database, so a dead broker must cost one
        # bounded connection attempt, not a request held for seconds.
        run_job.apply_async((job_id,), retry=False)
    except Exception as exc:
        if not eager:
            _broker_down_until = time.monotonic() + BROKER_QUIET_SECONDS
        log_at_most_every(
            logger, "outbox-broker-down", 60, logging.WARNING,
            "Could not reach the Celery broker (%s); outbox jobs wait for beat's sweep.", type(exc).__name__,
        )
        return False
    return True


def claim_job(*, job_id: int) -> Job | None:
    """Claim a due job for this worker, or return None if it is done, failed, not due or claimed by another."""
    now = timezone.now()
    lease = Job.objects.filter(pk=job_id).values_list("lease_seconds", flat=True).first()
    if lease is None:
        return None
    token = uuid.uuid4()
    claimable = Q(status=JobStatus.PENDING, available_at__lte=now) | Q(status=JobStatus.RUNNING, locked_until__lt=now)
    # One conditional UPDATE: of two workers racing for the row, the second sees it running and matches nothing.
    claimed = Job.objects.filter(claimable, pk=job_id, attempts__lt=F("max_attempts")).update(
        status=JobStatus.RUNNING, claim=token, locked_until=now + timedelta(seconds=lease), attempts=F("attempts") + 1,
    )
    if not claimed:
        return None
    return Job.objects.get(pk=job_id)


def _finish(job: Job) -> None:
    finished = Job.objects.filter(pk=job.pk, claim=job.claim).update(
        status=JobStatus.DONE, finished_at=timezone.now(), claim=None, locked_until=None, last_error="",
        # A delivered email's body (sign-in and reset links) need not stay in the database.
        **({"args": []} if job.task == EMAIL_TASK else {}),
    )
    if not finished:
        logger.warning("Outbox job %s (%s) finished after its lease had lapsed", job.pk, job.task)


def _fail(job: Job, exc: BaseException) -> None:
    now = timezone.now()
    gave_up = job.attempts >= job.max_attempts
    changes = {"claim": None, "locked_until": None, "last_error": f"{type(exc).__name__}: {exc}"[:2000]}
    if gave_up:
        changes.update(status=JobStatus.FAILED, finished_at=now)
    else:
        changes.update(status=JobStatus.PENDING, available_at=now + timedelta(seconds=backoff_seconds(job.attempts)))
    Job.objects.filter(pk=job.pk, claim=job.claim).update(**changes)
    # The exception's text stays in the row: it may quote an address or a link.
    logger.log(
        logging.ERROR if gave_up else logging.WARNING,
        "Outbox job %s (%s) failed on attempt %s of %s with %s%s",
        job.pk, job.task, job.attempts, job.max_attempts, type(exc).__name__, "; giving up" if gave_up else "",
    )


def run_job(*, job_id: int) -> bool:
    """Claim and run one job, recording success or scheduling a retry; return True if it ran to completion."""
    job = claim_job(job_id=job_id)
    if job is None:
        return False
    try:
        registered_task(job.task)(*job.args)
    except Exception as exc:
        _fail(job, exc)
        return False
    _finish(job)
    return True


@transaction.atomic
def retry_job(*, job: Job, by) -> Job:
    """Give a job that gave up a fresh set of attempts, recorded in the admin audit log; only admins may."""
    if not is_site_admin(by):
        raise PermissionDenied("Only an admin can retry an outbox job.")
    locked = Job.objects.select_for_update().get(pk=job.pk)
    if locked.status != JobStatus.FAILED:
        raise ValidationError(
            f"Only a job that gave up can be retried; this one is {JobStatus(locked.status).label.lower()}."
        )
    given_up_after = locked.attempts
    # The last error stays until an attempt succeeds: it is why the job had given up.
    Job.objects.filter(pk=locked.pk).update(
        status=JobStatus.PENDING, attempts=0, available_at=timezone.now(), finished_at=None, claim=None,
        locked_until=None,
    )
    log(instance=locked, action=RETRY_ACTION, user=by, data={"task": locked.task, "attempts": given_up_after})
    transaction.on_commit(partial(dispatch, job_id=locked.pk), robust=True)
    locked.refresh_from_db()
    return locked


def due_jobs() -> Q:
    """Return the filter for jobs a worker may run now."""
    now = timezone.now()
    return Q(status=JobStatus.PENDING, available_at__lte=now) | Q(
        status=JobStatus.RUNNING, locked_until__lt=now, attempts__lt=F("max_attempts")
    )


def sweep_outbox(*, limit: int = 500) -> int:
    """Hand every due job to the workers (beat runs this every minute); return how many were handed over."""
    now = timezone.now()
    # A worker died during the last allowed attempt: give up rather than leave it running for ever.
    Job.objects.filter(status=JobStatus.RUNNING, locked_until__lt=now, attempts__gte=F("max_attempts")).update(
        status=JobStatus.FAILED, finished_at=now, claim=None, locked_until=None,
        last_error="The worker stopped during the last allowed attempt.",
    )
    handed = 0
    for job_id in Job.objects.filter(due_jobs()).order_by("available_at", "pk").values_list("pk", flat=True)[:limit]:
        if not dispatch(job_id=job_id):
            break
        handed += 1
    Job.objects.filter(status=JobStatus.DONE, finished_at__lt=now - DONE_KEPT_FOR).delete()
    return handed

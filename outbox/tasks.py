"""Celery tasks of the outbox: run one recorded job, deliver one recorded email, sweep what is due."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name=services.RUN_TASK, ignore_result=True, acks_late=True)
def run_job(job_id: int) -> bool:
    """Claim and run one outbox job (safe to receive twice: only one claim succeeds)."""
    return services.run_job(job_id=job_id)


@shared_task(name=services.EMAIL_TASK, ignore_result=True)
def deliver_email(payload: dict) -> None:
    """Send one email recorded in the outbox."""
    services.deliver_email(payload=payload)


@shared_task(name="outbox.tasks.sweep_outbox", ignore_result=True)
def sweep_outbox() -> int:
    """Hand every due outbox job to the workers; beat runs this every minute."""
    return services.sweep_outbox()

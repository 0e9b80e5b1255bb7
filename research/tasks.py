"""Background work for research: each task fetches by id and calls a service.

They run as outbox jobs (outbox.services.enqueue_after_commit), which own retries; the service
records a failed cut itself, so a cut is never left looking complete.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from . import monthly, services


@shared_task
def write_cut(cut_id: int) -> None:
    """Write a data cut's files and zip (safe to run twice: a ready cut is left as it is)."""
    services.write_cut(cut_id=cut_id)


@shared_task
def send_monthly_reports() -> int:
    """On the first of the month (beat): queue last month's reports not sent yet; return how many were queued."""
    return len(monthly.send_monthly_reports(month=monthly.previous_month(timezone.localdate())).queued)

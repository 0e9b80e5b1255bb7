"""Background work for certificates: each task fetches by id and calls a service.

They run as outbox jobs (outbox.services.enqueue_after_commit), which own retries and backoff, so
a failure here simply raises.
"""

from __future__ import annotations

from celery import shared_task

from . import services
from .models import Certificate


@shared_task
def prepare_certificate(certificate_id: int) -> None:
    """Render and store a new certificate's PDF, then tell the learner it is ready (safe to run twice)."""
    certificate = Certificate.objects.select_related("user").filter(pk=certificate_id).first()
    if certificate is None:
        return
    services.store_certificate_pdf(certificate=certificate)
    services.send_certificate_ready_email(certificate=certificate)


@shared_task
def build_archive(archive_id: str) -> None:
    """Build a practice lead's zip of certificates (records its own failure for the status page)."""
    services.build_certificate_archive(archive_id=archive_id)

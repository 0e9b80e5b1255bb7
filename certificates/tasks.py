"""Background work for certificates: each task fetches by id and calls a service."""

from __future__ import annotations

from celery import shared_task

from . import services
from .models import Certificate


@shared_task(bind=True, max_retries=3, default_retry_delay=60, acks_late=True)
def prepare_certificate(self, certificate_id: int) -> None:
    """Render and store a new certificate's PDF, then tell the learner it is ready."""
    certificate = Certificate.objects.select_related("user").filter(pk=certificate_id).first()
    if certificate is None:
        return
    try:
        services.store_certificate_pdf(certificate=certificate)
        services.send_certificate_ready_email(certificate=certificate)
    except Exception as exc:
        raise self.retry(exc=exc) from exc


@shared_task(acks_late=True)
def build_archive(archive_id: str) -> None:
    """Build a practice lead's zip of certificates (records its own failure for the status page)."""
    services.build_certificate_archive(archive_id=archive_id)

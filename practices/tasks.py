"""Background work for practices: emails go out through Celery after the transaction commits."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation_email(invitation_id: int) -> bool:
    """Send an invitation or welcome email once (safe to run twice: the service records it)."""
    return services.send_invitation_email(invitation_id=invitation_id)

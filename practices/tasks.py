"""Background work for practices: invitation emails, run as outbox jobs after the transaction commits."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task
def send_invitation_email(invitation_id: int) -> bool:
    """Send an invitation or welcome email once (safe to run twice: the service records it)."""
    return services.send_invitation_email(invitation_id=invitation_id)

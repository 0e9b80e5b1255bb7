"""Issue a certificate whenever learning records a completion, inside the same transaction."""

from __future__ import annotations

from django.dispatch import receiver

from learning.signals import completion_recorded

from .services import issue_certificate


@receiver(completion_recorded, dispatch_uid="certificates.issue_on_completion")
def issue_on_completion(sender, completion, **kwargs) -> None:
    issue_certificate(completion=completion)

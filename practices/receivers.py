"""Receivers: join the practice held since sign-up once the address is verified."""

from __future__ import annotations

from allauth.account.signals import email_confirmed
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.dispatch import receiver

from accounts.signals import address_verified_by_password_reset

from . import services


def _join_held_practice(request, user) -> None:
    """Join the practice held since sign-up and tell the learner what happened."""
    try:
        membership = services.join_held_practice(user=user)
    except ValidationError as error:
        if request is not None:
            reason = " ".join(error.messages)
            messages.warning(request, f"Your email address is confirmed but you have not joined a practice: {reason}")
        return
    if membership is not None and request is not None:
        messages.success(request, f"You have joined {membership.practice.name}.")


@receiver(email_confirmed, dispatch_uid="practices_join_held_practice_on_email_confirmed")
def join_held_practice_on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    """Join the practice chosen at sign-up now that the learner has proved the address is theirs."""
    _join_held_practice(request, email_address.user)


@receiver(address_verified_by_password_reset, dispatch_uid="practices_join_held_practice_on_password_reset")
def join_held_practice_on_password_reset(sender, request, user, **kwargs) -> None:
    """Join the practice chosen at sign-up once a password-reset link has verified the address."""
    _join_held_practice(request, user)

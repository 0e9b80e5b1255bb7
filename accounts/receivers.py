"""Receivers for allauth's signals."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmed, password_reset
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.dispatch import receiver

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


@receiver(email_confirmed, dispatch_uid="accounts_join_held_practice_on_email_confirmed")
def join_held_practice_on_email_confirmed(sender, request, email_address, **kwargs) -> None:
    """Join the practice chosen at sign-up now that the learner has proved the address is theirs."""
    _join_held_practice(request, email_address.user)


@receiver(password_reset, dispatch_uid="accounts_verify_email_on_password_reset")
def verify_email_on_password_reset(sender, request, user, **kwargs) -> None:
    """Mark the user's address verified: the reset link reached them at that address.

    Imported staff start with an unusable password and set their first one through such a link,
    so this is what lets them sign in afterwards without a second verification email. A practice
    held since sign-up is joined then too, as on any other verification.
    """
    addresses = EmailAddress.objects.filter(user=user)
    # With more than one address we cannot tell which one the link went to.
    if addresses.count() == 1 and addresses.filter(email__iexact=user.email, verified=False).update(verified=True):
        _join_held_practice(request, user)


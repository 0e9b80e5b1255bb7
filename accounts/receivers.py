"""Receivers for allauth's signals."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.account.signals import password_reset
from django.dispatch import receiver

from .signals import address_verified_by_password_reset


@receiver(password_reset, dispatch_uid="accounts_verify_email_on_password_reset")
def verify_email_on_password_reset(sender, request, user, **kwargs) -> None:
    """Mark the user's address verified: the reset link reached them at that address.

    Imported staff start with an unusable password and set their first one through such a link,
    so this is what lets them sign in afterwards without a second verification email. Apps that
    wait for a verified address (practices joins the practice held since sign-up) are told.
    """
    addresses = EmailAddress.objects.filter(user=user)
    # With more than one address we cannot tell which one the link went to.
    if addresses.count() == 1 and addresses.filter(email__iexact=user.email, verified=False).update(verified=True):
        address_verified_by_password_reset.send(sender=type(user), request=request, user=user)

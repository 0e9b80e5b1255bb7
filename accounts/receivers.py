"""Receivers for allauth's signals and for changes to a user's groups."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from allauth.account.signals import password_reset
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from .roles import forget_group_names
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


@receiver(m2m_changed, sender=get_user_model().groups.through, dispatch_uid="accounts_forget_group_names")
def forget_group_names_on_change(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """Drop the cached group names of every user whose groups changed, now and again after commit."""
    if action not in {"post_add", "post_remove", "pre_clear", "post_clear"}:
        return
    if not reverse:
        user_ids = [instance.pk]
    elif action == "pre_clear":
        # A group emptied from its side: its members are only known before the clear.
        user_ids = list(instance.user_set.values_list("pk", flat=True))
    else:
        user_ids = list(pk_set or ())
    if user_ids:
        forget_group_names(user_ids)
        transaction.on_commit(lambda: forget_group_names(user_ids))

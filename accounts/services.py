"""Writes for accounts: the learner's own profile, invited accounts, and the practice held until verification."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from .validators import normalise_registration_number, validate_registration_number


@transaction.atomic
def update_profile(
    *, user, first_name: str, last_name: str, registration_body: str = "", registration_number: str = ""
):
    """Save the user's name and professional registration after checking the number's format."""
    number = normalise_registration_number(registration_number)
    validate_registration_number(registration_body, number)
    user.first_name = first_name.strip()
    user.last_name = last_name.strip()
    user.registration_body = registration_body
    user.registration_number = number
    user.save(update_fields=["first_name", "last_name", "registration_body", "registration_number"])
    return user


@transaction.atomic
def create_invited_user(*, email: str, first_name: str, last_name: str):
    """Create an account without a password for someone who will set one from an emailed link."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from .roles import LEARNER

    user = get_user_model().objects.create_user(
        email=email.strip().lower(), password=None, first_name=first_name.strip(), last_name=last_name.strip()
    )
    # Verified once they follow the set-password link (accounts.receivers).
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    user.groups.add(Group.objects.get_or_create(name=LEARNER)[0])
    return user


@transaction.atomic
def hold_practice_until_verified(*, user, join_code: str = "", role: str = "", invitation_token: str = ""):
    """Keep the practice chosen at sign-up (join code and role, or an invitation) until the address is verified."""
    user.pending_join_code = join_code.strip()
    user.pending_practice_role = role if join_code.strip() else ""
    user.pending_invitation_token = invitation_token
    user.save(update_fields=["pending_join_code", "pending_practice_role", "pending_invitation_token"])
    return user


def join_held_practice(*, user):
    """Join the practice held since sign-up, now that the address is verified; return the membership or None.

    The hold is taken and cleared first, in its own transaction, so two confirmations cannot both
    use it and a refused code is not retried at every later confirmation; a ValidationError then
    says why, and the learner can still join from the join page.
    """
    from practices import selectors as practice_selectors
    from practices import services as practice_services

    with transaction.atomic():
        held = type(user).objects.select_for_update().get(pk=user.pk)
        join_code, role, token = held.pending_join_code, held.pending_practice_role, held.pending_invitation_token
        if not (join_code or token):
            return None
        hold_practice_until_verified(user=held)
    if token:
        invitation = practice_selectors.usable_invitation(token)
        if invitation is None:
            raise ValidationError(
                "The invitation you signed up with has expired, been cancelled or already been used. "
                "Ask your practice lead for a new one."
            )
        return practice_services.accept_invitation(invitation=invitation, user=user)
    return practice_services.join_practice_with_code(user=user, join_code=join_code, role=role)

"""Writes for accounts: the learner's own profile and invited accounts."""

from __future__ import annotations

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

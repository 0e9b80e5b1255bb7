"""allauth adapter: the one place that shapes sign-up and sign-in for this site."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.auth.models import Group

from .roles import LEARNER


class AccountAdapter(DefaultAccountAdapter):
    """Normalise emails to lower case and make everyone who signs up a learner."""

    def clean_email(self, email: str) -> str:
        return super().clean_email(email).strip().lower()

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit and user.pk:
            user.groups.add(Group.objects.get_or_create(name=LEARNER)[0])
        return user

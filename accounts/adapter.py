"""allauth adapter: the one place that shapes sign-up and sign-in for this site."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Normalise emails to lower case so one person has one account."""

    def clean_email(self, email: str) -> str:
        return super().clean_email(email).strip().lower()

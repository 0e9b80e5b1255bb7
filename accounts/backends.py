"""Authentication backends: Django's and allauth's, reading the signed-in user without rebuilding ORM SQL.

Every request by a signed-in person loads their user row (the session names the backend that signed
them in and the user's id). That read is compiled once per process (core/compiled.py); everything
else, including allauth's rate-limited sign-in by email and password, is the parent backend's.
"""

from __future__ import annotations

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from core.compiled import CompiledQuery


def _user_by_id(user_id: int):
    return get_user_model()._default_manager.filter(pk=user_id)


_USER = CompiledQuery(_user_by_id, stand_ins={"user_id": -918_273_661}, model=get_user_model(), instances=True)


class _CompiledGetUser:
    def get_user(self, user_id):
        try:
            user_id = int(user_id)
        except (TypeError, ValueError):
            return None
        found = _USER.run(user_id=user_id)
        if not found:
            return None
        user = found[0]
        return user if self.user_can_authenticate(user) else None


class ModelBackend(_CompiledGetUser, DjangoModelBackend):
    """Django's ModelBackend."""


class AuthenticationBackend(_CompiledGetUser, AllauthBackend):
    """allauth's backend (sign-in by email and password)."""

"""Build users the way the site does: verified email addresses, groups, authenticators."""

from __future__ import annotations

import itertools

from allauth.account.internal.flows.login import record_authentication
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import RequestFactory

PASSWORD = "a-Long-passw0rd-for-tests"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_numbers = itertools.count(1)


def make_user(
    *, email: str | None = None, password: str = PASSWORD, groups: tuple[str, ...] = (), verified: bool = True,
    first_name: str = "Alex", last_name: str = "Tester",
):
    """Create a user with a primary email address (verified by default) in the given groups."""
    email = email or f"user{next(_numbers)}@example.org"
    user = get_user_model().objects.create_user(email=email, password=password, first_name=first_name, last_name=last_name)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=verified)
    for name in groups:
        # get_or_create: a transactional test's flush empties the groups the migration made.
        user.groups.add(Group.objects.get_or_create(name=name)[0])
    return user


def add_totp(user, secret: str = TOTP_SECRET) -> None:
    """Give the user an authenticator app and recovery codes, as MFA set-up does."""
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)


def staff_user(group: str, *, with_totp: bool = True, **kwargs):
    """Create a verified user in a staff group, with MFA set up unless told otherwise."""
    user = make_user(groups=(group,), **kwargs)
    if with_totp:
        add_totp(user)
    return user


def has_totp(user) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def sign_in_with_second_factor(client, user) -> None:
    """Sign the user in as allauth does after password and authenticator code, for tests that start in the admin.

    The staff-MFA middleware admits a session only if allauth recorded a second factor in it, so
    a bare force_login is what a password-only sign-in looks like; tests of the sign-in itself go
    through the real forms (tests/accounts/test_mfa.py).
    """
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = user
    record_authentication(request, user, "password", email=user.email)
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is not None:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    request.session.save()

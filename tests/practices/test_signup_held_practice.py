"""A practice chosen at sign-up is joined only once the email address is verified."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail

from accounts.roles import PracticeRole
from practices import selectors, services
from practices.models import PendingJoin
from tests.accounts.factories import PASSWORD
from tests.practices.factories import make_practice

pytestmark = pytest.mark.django_db


def sign_up_with_code(client, capture, email: str, code: str, role: str = PracticeRole.GP):
    data = {
        "email": email, "password1": PASSWORD, "password2": PASSWORD, "first_name": "Robin", "last_name": "Hale",
        "join_code": code, "practice_role": role,
    }
    with capture(execute=True):  # emails may leave after commit
        response = client.post("/accounts/signup/", data)
    assert response["Location"] == "/accounts/confirm-email/"
    return get_user_model().objects.get(email=email)


def last_link(pattern: str) -> str:
    return re.search(rf"http://testserver({pattern})", mail.outbox[-1].body).group(1)


def test_sign_up_with_a_join_code_joins_only_when_the_email_is_confirmed(client, django_capture_on_commit_callbacks):
    practice = make_practice()
    user = sign_up_with_code(client, django_capture_on_commit_callbacks, "coded@example.org", practice.join_code, "hca")
    assert selectors.current_membership(user) is None
    held = PendingJoin.objects.get(user=user)
    assert (held.join_code, held.role) == (practice.join_code, PracticeRole.HCA)
    # Signing in before confirming joins nothing either.
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert selectors.current_membership(user) is None

    response = client.post(last_link(r"/accounts/confirm-email/\S+/"), follow=True)
    membership = selectors.current_membership(user)
    assert (membership.practice, membership.role) == (practice, PracticeRole.HCA)
    assert f"You have joined {practice.name}." in response.content.decode()
    assert not PendingJoin.objects.filter(user=user).exists()


def test_a_code_changed_before_confirmation_is_reported_not_silently_dropped(client, django_capture_on_commit_callbacks):
    practice = make_practice()
    user = sign_up_with_code(client, django_capture_on_commit_callbacks, "late@example.org", practice.join_code)
    services.regenerate_join_code(practice=practice)
    response = client.post(last_link(r"/accounts/confirm-email/\S+/"), follow=True)
    assert EmailAddress.objects.get(user=user).verified
    assert selectors.current_membership(user) is None
    assert "you have not joined a practice: No practice has this join code" in response.content.decode()
    assert not PendingJoin.objects.filter(user=user).exists()


def test_a_password_reset_link_verifies_the_address_and_joins_the_held_practice(
    client, django_capture_on_commit_callbacks
):
    practice = make_practice()
    user = sign_up_with_code(client, django_capture_on_commit_callbacks, "reset@example.org", practice.join_code)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": user.email})
    form_page = client.get(last_link(r"/accounts/password/reset/key/\S+/"), follow=True)
    client.post(form_page.redirect_chain[-1][0], {"password1": "brand-New-passw0rd", "password2": "brand-New-passw0rd"})
    assert EmailAddress.objects.get(user=user).verified
    assert selectors.current_membership(user).practice == practice

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail

from accounts.roles import LEARNER
from tests.accounts.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db
User = get_user_model()


def signup(client, email: str, **extra):
    data = {"email": email, "password1": PASSWORD, "password2": PASSWORD, "first_name": "Robin", "last_name": "Hale"}
    return client.post("/accounts/signup/", {**data, **extra})


def login(client, email: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def is_signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_email_must_be_verified_before_signing_in(client, django_capture_on_commit_callbacks):
    # Emails go out through the outbox once the transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, "Robin.Hale@Example.org")
    assert response["Location"] == "/accounts/confirm-email/"
    assert not is_signed_in(client)
    user = User.objects.get(email="robin.hale@example.org")  # stored lower case
    assert (user.first_name, user.last_name) == ("Robin", "Hale")
    assert LEARNER in user.groups.values_list("name", flat=True)

    # Signing in before confirming only sends another verification email.
    response = login(client, "robin.hale@example.org")
    assert response["Location"] == "/accounts/confirm-email/"
    assert not is_signed_in(client)

    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[0].body).group(1)
    confirm_page = client.get(link)
    assert confirm_page.status_code == 200
    assert "nhsuk-button" in confirm_page.content.decode()
    client.post(link)
    assert EmailAddress.objects.get(user=user).verified
    client.logout()
    response = login(client, "robin.hale@example.org")
    assert response["Location"] == "/"
    assert is_signed_in(client)


def test_failed_logins_are_rate_limited(client):
    make_user(email="target@example.org")
    for _ in range(5):
        response = login(client, "target@example.org", "wrong-password")
        assert "not correct" in response.content.decode()
    # The sixth attempt is refused even with the right password.
    response = login(client, "target@example.org")
    assert response.status_code in (200, 429)
    assert "Too many failed login attempts" in response.content.decode()
    assert not is_signed_in(client)


def test_password_reset_does_not_reveal_whether_an_account_exists(client, django_capture_on_commit_callbacks):
    make_user(email="known@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/accounts/password/reset/", {"email": "known@example.org"})
        unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == "/accounts/password/reset/done/"
    assert sorted(m.to[0] for m in mail.outbox) == ["known@example.org", "nobody@example.org"]
    done = client.get("/accounts/password/reset/done/")
    assert "nhsuk-heading-l" in done.content.decode()


def test_signup_with_a_taken_address_does_not_reveal_it(client, django_capture_on_commit_callbacks):
    make_user(email="taken@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = signup(client, "taken@example.org")
    assert response["Location"] == "/accounts/confirm-email/"  # same as a new address
    assert User.objects.filter(email="taken@example.org").count() == 1
    assert mail.outbox[0].to == ["taken@example.org"]  # the owner is told instead


def test_password_reset_link_sets_a_new_password(client, django_capture_on_commit_callbacks):
    make_user(email="forgot@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "forgot@example.org"})
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    action = form_page.redirect_chain[-1][0]
    assert "nhsuk-input" in form_page.content.decode()
    client.post(action, {"password1": "brand-New-passw0rd", "password2": "brand-New-passw0rd"})
    client.logout()
    assert login(client, "forgot@example.org", "brand-New-passw0rd")["Location"] == "/"

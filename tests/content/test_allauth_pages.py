"""Every allauth page renders inside the site layout with NHS.UK design-system markup."""

from __future__ import annotations

import re

import pytest
from django.core import mail

from accounts.roles import EDITOR
from tests.accounts.factories import PASSWORD, make_user, staff_user

pytestmark = pytest.mark.django_db

TAG = re.compile(r"<(input|select|textarea|button)\b([^>]*)>", re.IGNORECASE)


def assert_styled(html: str) -> None:
    """Check the page uses the site layout and that every visible control has design-system classes."""
    assert 'class="nhsuk-skip-link"' in html
    assert "nhsuk-header" in html
    assert "nhsuk-footer" in html
    assert '<h1 class="nhsuk-heading-l">' in html or "<h1>" in html
    for tag, attrs in TAG.findall(html):
        if 'type="hidden"' in attrs or "nhsuk-header__account-button" in attrs:
            continue
        assert re.search(r'class="[^"]*(nhsuk-|site-)', attrs), f"unstyled <{tag}{attrs}>"


@pytest.mark.parametrize(
    "url",
    ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/", "/accounts/password/reset/done/", "/accounts/confirm-email/"],
)
def test_signed_out_pages_are_styled(client, url):
    response = client.get(url)
    assert response.status_code == 200
    assert_styled(response.content.decode())


@pytest.mark.parametrize(
    "url",
    ["/accounts/profile/", "/accounts/email/", "/accounts/password/change/", "/accounts/2fa/", "/join/", "/accounts/reauthenticate/"],
)
def test_signed_in_pages_are_styled(client, url):
    client.force_login(make_user())
    response = client.get(url)
    assert response.status_code == 200
    assert_styled(response.content.decode())


def test_email_confirmation_and_mfa_pages_are_styled(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/signup/",
            {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD, "first_name": "N", "last_name": "P"},
        )
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[0].body).group(1)
    assert_styled(client.get(link).content.decode())
    invalid = client.get("/accounts/confirm-email/not-a-key/")
    assert_styled(invalid.content.decode())

    user = staff_user(EDITOR)
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert_styled(client.get("/accounts/2fa/authenticate/").content.decode())


def test_errors_are_summarised_at_the_top_and_linked_to_fields(client):
    html = client.post("/accounts/signup/", {"email": "bad"}).content.decode()
    summary = html.index("nhsuk-error-summary")
    assert summary < html.index("<form")
    assert 'href="#id_email"' in html
    assert "nhsuk-form-group--error" in html
    assert "nhsuk-error-message" in html

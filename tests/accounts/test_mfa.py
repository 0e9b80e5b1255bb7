from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

from accounts.roles import ADMIN, EDITOR, MODERATOR, RESEARCHER
from tests.accounts.factories import (
    PASSWORD,
    TOTP_SECRET,
    has_totp,
    make_user,
    sign_in_with_second_factor,
    staff_user,
)
from tests.practices.factories import make_member

pytestmark = pytest.mark.django_db


def current_code(secret: str = TOTP_SECRET) -> str:
    return format_hotp_value(hotp_value(secret, next(iter(yield_hotp_counters_from_time()))))


def sign_in(client, user) -> None:
    """Sign in through allauth's form, as a person would."""
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302


def open_totp_setup(client, url: str = "/accounts/2fa/totp/activate/"):
    """Follow allauth's password re-check, which guards MFA set-up, and return the set-up page."""
    response = client.get(url)
    if response.status_code == 302 and response["Location"].startswith("/accounts/reauthenticate/"):
        recheck = client.get(response["Location"])
        assert "nhsuk-input" in recheck.content.decode()
        response = client.post(response["Location"], {"password": PASSWORD})
        assert response.status_code == 302
        response = client.get(response["Location"])
    return response


@pytest.mark.parametrize("group", [EDITOR, MODERATOR, RESEARCHER, ADMIN])
def test_staff_without_an_authenticator_are_sent_to_set_one_up(client, group):
    user = staff_user(group, with_totp=False)
    sign_in(client, user)
    response = client.get("/admin/pages/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/?next=%2Fadmin%2Fpages%2F"
    # The set-up pages themselves stay reachable, styled like the site.
    setup = open_totp_setup(client, response["Location"])
    assert setup.status_code == 200
    html = setup.content.decode()
    assert "nhsuk-heading-l" in html
    assert "must use an authenticator app" in html
    assert 'class="site-qr"' in html


@pytest.mark.parametrize("group", [EDITOR, MODERATOR, RESEARCHER, ADMIN])
def test_staff_with_an_authenticator_reach_the_admin(client, group):
    sign_in_with_second_factor(client, staff_user(group))
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("group", [EDITOR, MODERATOR, RESEARCHER, ADMIN])
def test_staff_whose_session_skipped_the_code_must_enter_it(client, group):
    user = staff_user(group)
    # A session opened with the password alone, as any sign-in route that skipped allauth's
    # second-factor stage would leave it.
    client.force_login(user)
    response = client.get("/admin/pages/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/reauthenticate/?next=%2Fadmin%2Fpages%2F"
    assert client.get("/admin/").status_code == 302
    # The code, not the password, lets them in.
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    assert client.get("/admin/").status_code == 302
    response = client.post("/accounts/2fa/reauthenticate/?next=/admin/pages/", {"code": current_code()})
    assert response["Location"] == "/admin/pages/"
    assert client.get("/admin/").status_code == 200


def test_anyone_who_can_open_the_admin_needs_the_code_whatever_their_group(client):
    from django.contrib.auth.models import Permission

    user = make_user()
    user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    client.force_login(user)
    assert client.get("/admin/")["Location"].startswith("/accounts/2fa/totp/activate/")


def test_a_password_never_reveals_recovery_codes_or_turns_off_the_app(client):
    user = staff_user(ADMIN)
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    client.post("/accounts/2fa/authenticate/", {"code": current_code()})
    assert client.get("/admin/").status_code == 200
    for url in ("/accounts/2fa/recovery-codes/", "/accounts/2fa/totp/deactivate/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/2fa/reauthenticate/")
        # The password re-check sends a user with an authenticator to the code instead...
        recheck = client.get(f"/accounts/reauthenticate/?next={url}")
        assert recheck["Location"].startswith("/accounts/2fa/reauthenticate/")
        # ...and a password posted to it anyway unlocks nothing.
        client.post(f"/accounts/reauthenticate/?next={url}", {"password": PASSWORD})
        assert client.get(url).status_code == 302
    assert "recovery" not in client.get("/accounts/2fa/recovery-codes/").content.decode().lower()
    assert has_totp(user)


def test_a_superuser_also_needs_mfa(client):
    user = make_user()
    user.is_superuser = True
    user.save()
    client.force_login(user)
    assert client.get("/admin/")["Location"].startswith("/accounts/2fa/totp/activate/")


def test_learners_and_leads_are_not_asked_for_mfa(client):
    lead = make_member(is_lead=True)
    client.force_login(lead.user)
    assert client.get("/accounts/profile/").status_code == 200
    assert client.get("/practice/invite/").status_code == 200
    # They have no admin access either, and are told so rather than sent round in circles.
    response = client.get("/admin/")
    assert response.status_code == 403


def test_activating_totp_through_the_page_unlocks_the_admin(client):
    user = staff_user(EDITOR, with_totp=False)
    sign_in(client, user)
    page = open_totp_setup(client)
    secret = page.context["form"].secret
    # The code typed to activate the app counts as this session's second factor.
    response = client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)})
    assert response.status_code == 302
    assert has_totp(user)
    assert client.get("/admin/").status_code == 200
    codes = client.get("/accounts/2fa/recovery-codes/")
    assert codes.status_code == 200
    assert "nhsuk-textarea" in codes.content.decode()


def test_signing_in_as_staff_asks_for_the_code(client):
    user = staff_user(MODERATOR)
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    page = client.get("/accounts/2fa/authenticate/")
    assert "nhsuk-input" in page.content.decode()
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000" if current_code() != "000000" else "111111"})
    assert "_auth_user_id" not in client.session
    assert "nhsuk-error-summary" in wrong.content.decode()
    client.post("/accounts/2fa/authenticate/", {"code": current_code()})
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/admin/").status_code == 200


def test_the_wagtail_admin_login_goes_through_allauth(client):
    response = client.get("/admin/login/?next=/admin/pages/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fpages%2F"
    # Posting a password to the old admin login does not sign anyone in.
    user = staff_user(ADMIN)
    client.post("/admin/login/", {"username": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/")["Location"].startswith("/accounts/login/")

"""One way in: every login-like URL in the URL map leads to allauth's sign-in, which asks for the code."""

from __future__ import annotations

import re

import pytest
from allauth.account.views import LoginView as AllauthLoginView
from django.contrib.auth.views import LoginView as DjangoLoginView
from django.core import mail
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern

from accounts.roles import ADMIN, EDITOR
from tests.accounts.factories import PASSWORD, make_user, staff_user
from tests.accounts.test_mfa import current_code

pytestmark = pytest.mark.django_db

# Words in a view's name or module that say it signs people in or checks a password.
LOGIN_WORDS = re.compile(r"login|log_in|signin|sign_in|authenticat|password_reset|passwordreset|confirm_email|confirmemail")


def _walk(patterns, prefix: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + _concrete(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + _concrete(entry.pattern), entry


def _concrete(pattern) -> str:
    """Return a path piece that the pattern matches, with sample values for its parameters."""
    if isinstance(pattern, RoutePattern):
        return re.sub(r"<(?:(\w+):)?\w+>", lambda m: "1" if m.group(1) == "int" else "1a", str(pattern))
    assert isinstance(pattern, RegexPattern)
    text = str(pattern).lstrip("^").rstrip("$")
    # Named groups become a sample value (digits and letters satisfy every group in the map).
    text = re.sub(r"\(\?P<\w+>[^()]*(?:\([^()]*\)[^()]*)*\)", "1a", text)
    return text.replace("\\", "")


def _is_login_view(entry: URLPattern) -> bool:
    callback = entry.callback
    view_class = getattr(callback, "view_class", None)
    if view_class is not None and issubclass(view_class, DjangoLoginView | AllauthLoginView):
        return True
    names = [callback.__module__, getattr(callback, "__name__", ""), entry.name or ""]
    if view_class is not None:
        names += [view_class.__module__, view_class.__name__]
    return any(LOGIN_WORDS.search(name.lower()) for name in names)


def login_routes() -> list[tuple[str, str]]:
    """Return (path, view name) for every URL whose view signs people in or checks a password."""
    found = []
    for path, entry in _walk(get_resolver().url_patterns):
        if _is_login_view(entry):
            view = getattr(entry.callback, "view_class", entry.callback)
            found.append(("/" + path, f"{view.__module__}.{view.__qualname__}"))
    return found


def test_the_walk_finds_every_kind_of_login_route():
    paths = {path for path, _ in login_routes()}
    # allauth's, Wagtail's admin and page-privacy logins, MFA steps, password resets.
    for expected in (
        "/accounts/login/", "/admin/login/", "/_util/login/", "/accounts/2fa/authenticate/",
        "/accounts/reauthenticate/", "/admin/password_reset/",
    ):
        assert expected in paths, expected
    for path in paths:
        resolve(path)  # each sample path really reaches a view


@pytest.mark.parametrize(("path", "view"), login_routes())
def test_no_login_route_signs_staff_in_without_the_code(client, path, view):
    user = staff_user(ADMIN)
    credentials = {"login": user.email, "username": user.email, "email": user.email, "password": PASSWORD}
    client.get(path)
    client.post(path, credentials)
    assert "_auth_user_id" not in client.session, f"{path} ({view}) signed a staff member in with a password alone"
    assert client.get("/admin/").status_code != 200, f"{path} ({view}) opened the admin without the code"


def test_wagtail_login_pages_lead_to_allauth(client):
    assert client.get("/_util/login/?next=/modules/")["Location"] == "/accounts/login/?next=%2Fmodules%2F"
    assert client.get("/admin/login/?next=/admin/pages/")["Location"] == "/accounts/login/?next=%2Fadmin%2Fpages%2F"
    assert client.get("/admin/password_reset/")["Location"] == "/accounts/password/reset/"
    # An off-site next is dropped rather than passed on.
    assert client.get("/_util/login/?next=https://evil.example/")["Location"] == "/accounts/login/"


def test_private_pages_send_visitors_to_allauths_sign_in():
    from wagtail.wagtail_hooks import require_wagtail_login

    assert require_wagtail_login("/modules/private/")["Location"] == "/accounts/login/?next=/modules/private/"


def test_a_learner_who_opens_the_admin_gets_a_plain_403_page(client):
    learner = make_user()
    client.force_login(learner)
    for path in ("/admin/", "/admin/pages/", "/admin/login/"):
        response = client.get(path, follow=True)
        assert response.status_code == 403, path
        assert len(response.redirect_chain) <= 1, path  # no loop through the sign-in page
        html = response.content.decode()
        assert "nhsuk-header" in html  # the site's own page, not Wagtail's or Django's
        assert "The admin area is for the editors, moderators, researchers and administrators" in html


def _link(pattern: str) -> str:
    return re.search(rf"http://testserver({pattern})", mail.outbox[-1].body).group(1)


def test_password_reset_sign_in_still_asks_staff_for_the_code(client, django_capture_on_commit_callbacks):
    user = staff_user(EDITOR)
    with django_capture_on_commit_callbacks(execute=True):  # emails may leave after commit
        client.post("/accounts/password/reset/", {"email": user.email})
    link = _link(r"/accounts/password/reset/key/\S+/")
    form_page = client.get(link, follow=True)
    response = client.post(form_page.redirect_chain[-1][0], {"password1": "brand-New-passw0rd", "password2": "brand-New-passw0rd"})
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code != 200
    client.post("/accounts/2fa/authenticate/", {"code": current_code()})
    assert client.get("/admin/").status_code == 200


def test_email_confirmation_sign_in_still_asks_staff_for_the_code(client, django_capture_on_commit_callbacks):
    user = staff_user(ADMIN, verified=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response["Location"] == "/accounts/confirm-email/"
    assert "_auth_user_id" not in client.session
    link = _link(r"/accounts/confirm-email/\S+/")
    response = client.post(link)
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code != 200
    assert client.get(response["Location"]).status_code in (200, 302)
    client.post("/accounts/2fa/authenticate/", {"code": current_code()})
    assert client.get("/admin/").status_code == 200


@pytest.mark.parametrize("path", ["/accounts/login/", "/_util/login/", "/admin/login/"])
def test_an_unverified_account_signs_in_nowhere(client, path):
    user = make_user(verified=False)
    client.post(path, {"login": user.email, "username": user.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session

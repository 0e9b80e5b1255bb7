"""The Wagtail admin works under its own Content-Security-Policy: an admin signs in with TOTP and edits pages.

The `browser` fixture (tests/conftest.py) fails the test on any violation or off-site request, so
this shows the admin policy in config/settings/base.py is enough for the screens editors use.
"""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from wagtail.models import Collection

from accounts.roles import ADMIN
from tests.accounts.factories import PASSWORD, TOTP_SECRET, staff_user
from tests.learning.factories import build_module, sections_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _allow_sync_orm_under_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses that by default.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_an_admin_signs_in_with_totp_and_edits_pages_without_policy_violations(live_server, browser):
    module = build_module(slug="team", sections=[(1, 1), (1, 0)])
    section = sections_of(module)[0]
    # Another transactional test's flush may have emptied the tables the migrations filled (the root
    # collection, the groups' permissions): a superuser in the Admin group needs none of them.
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    admin = staff_user(ADMIN)
    admin.is_superuser = True
    admin.save(update_fields=["is_superuser"])
    base = live_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    page.goto(f"{base}/accounts/login/?next=/admin/")
    page.fill("input[name=login]", admin.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", format_hotp_value(hotp_value(TOTP_SECRET, next(iter(yield_hotp_counters_from_time())))))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}/admin/")

    for path in [
        "/admin/",
        "/admin/pages/",
        f"/admin/pages/{module.pk}/",
        f"/admin/pages/{module.pk}/edit/",
        f"/admin/pages/{section.pk}/edit/",
        "/admin/images/",
        "/admin/images/multiple/add/",
        "/admin/documents/multiple/add/",
        "/admin/users/",
    ]:
        response = page.goto(base + path)
        page.wait_for_load_state("networkidle")
        assert response.status == 200, path
        assert page.url == base + path  # not redirected away for want of permission
    page.goto(f"{base}/admin/pages/{section.pk}/edit/")
    page.wait_for_load_state("networkidle")
    assert page.locator("form#page-edit-form").count() == 1

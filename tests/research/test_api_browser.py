"""A researcher creates an API token in the admin and reads the API's docs page, in Chromium.

Every page is checked with axe (WCAG 2.2 AA, 0 violations); the `browser` fixture (tests/conftest.py)
fails the test on any Content-Security-Policy violation or off-site request, so Swagger UI must run
from our own static files under the site's policy.
"""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from playwright.sync_api import expect

from accounts.permissions import apply_group_policy, ensure_permissions_exist
from accounts.roles import RESEARCHER
from research.api.tokens import token_digest
from research.models import ApiToken
from tests.accounts.factories import PASSWORD, TOTP_SECRET, staff_user

from .test_browser import _assert_accessible

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _allow_sync_orm_under_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses that by default.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_researcher_creates_a_token_and_tries_the_api_from_its_docs(live_server, browser, width):
    ensure_permissions_exist()
    apply_group_policy()
    researcher = staff_user(RESEARCHER)
    base = live_server.url
    page = browser.new_context(viewport={"width": width, "height": 900}).new_page()

    page.goto(f"{base}/accounts/login/?next=/admin/research/api-tokens/")
    page.fill("input[name=login]", researcher.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", format_hotp_value(hotp_value(TOTP_SECRET, next(iter(yield_hotp_counters_from_time())))))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r".*/admin/research/api-tokens/$"))
    assert "No API tokens yet." in page.content()
    _assert_accessible(page)

    page.get_by_role("link", name="Create an API token").click()
    page.wait_for_url(re.compile(r".*/admin/research/api-tokens/new/$"))
    _assert_accessible(page)
    page.get_by_label("Name").fill("browser pipeline")
    page.get_by_label("Expires after").select_option("7")
    page.get_by_role("button", name="Create the token").click()
    secret = page.get_by_label(re.compile("^Token for browser pipeline")).input_value()
    assert token_digest(secret) == ApiToken.objects.get(user=researcher).digest
    _assert_accessible(page)

    page.get_by_role("link", name="Back to API tokens").click()
    expect(page.get_by_role("cell", name="browser pipeline", exact=True)).to_be_visible()
    assert secret not in page.content()
    _assert_accessible(page)

    # The docs: Swagger UI from our static files, reading the schema with this session's second factor.
    page.goto(f"{base}/api/v1/docs/")
    expect(page.locator(".swagger-ui .opblock-summary-path").first).to_be_visible()
    assert page.locator(".swagger-ui .opblock").count() == 6
    _assert_accessible(page)

    # Authorize with the token and call an operation from the page.
    page.get_by_role("button", name=re.compile("Authorize")).first.click()
    page.locator(".modal-ux input").first.fill(secret)
    page.locator(".modal-ux button.modal-btn.authorize").click()
    page.locator(".modal-ux button.btn-done").click()
    operation = page.locator("#operations-practices-practices_list")
    operation.locator(".opblock-summary-control").click()
    operation.get_by_role("button", name="Try it out").click()
    operation.get_by_role("button", name="Execute").click()
    expect(operation.locator(".live-responses-table tbody .response-col_status").first).to_have_text(re.compile(r"^\s*200"))
    assert ApiToken.objects.get(user=researcher).last_used_at is not None

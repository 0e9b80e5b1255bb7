"""An editor signs in, lands on the admin dashboard and opens both question-analytics reports.

Each report is checked with axe (WCAG 2.2 AA, 0 violations) at 1280 and 390 pixels wide; the
`browser` fixture fails the test on any Content-Security-Policy violation or off-site request.
"""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.urls import reverse

from accounts.permissions import apply_group_policy, ensure_permissions_exist
from accounts.roles import EDITOR
from tests.accounts.factories import PASSWORD, TOTP_SECRET, staff_user

from .test_content_analytics import build_worked_example

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(autouse=True)
def _allow_sync_orm_under_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses that by default.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _assert_accessible(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, results.generate_report()


def test_an_editor_reads_the_question_reports_on_a_desktop_and_a_phone(live_server, browser):
    build_worked_example()
    ensure_permissions_exist()
    apply_group_policy()
    editor = staff_user(EDITOR)
    base = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    page.goto(base + reverse("account_login"))
    page.fill("input[name=login]", editor.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", format_hotp_value(hotp_value(TOTP_SECRET, next(iter(yield_hotp_counters_from_time())))))
    page.get_by_role("button", name="Continue").click()
    # Staff land on the admin dashboard, not the learners' home page.
    page.wait_for_url(re.compile(r".*/admin/$"))

    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(base + reverse("learning_reports:knowledge_checks"))
        assert page.get_by_role("cell", name="Which inhaler relieves symptoms?").is_visible()
        assert page.get_by_role("cell", name="not shown (fewer than 5 learners)").count() == 1
        _assert_accessible(page)
        page.goto(base + reverse("learning_reports:section_reach"))
        assert page.get_by_role("cell", name="3. Part 3").is_visible()
        _assert_accessible(page)
    context.close()

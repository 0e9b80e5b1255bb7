"""A researcher signs in with their authenticator and reads Research > Uptake at 1280 and 390 pixels.

axe (WCAG 2.2 AA) finds 0 violations on the dashboard, its filters with an error and the per-practice
report; the charts are images with a title and description and their data is in tables; the
`browser` fixture fails the test on any Content-Security-Policy violation or off-site request.
"""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

from accounts.permissions import apply_group_policy, ensure_permissions_exist
from accounts.roles import RESEARCHER
from tests.accounts.factories import PASSWORD, TOTP_SECRET, staff_user

from .test_browser import _assert_accessible
from .trial import build_trial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _allow_sync_orm_under_playwright(monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_a_researcher_reads_the_uptake_dashboard_on_a_desktop_and_a_phone(live_server, browser):
    build_trial()
    ensure_permissions_exist()
    apply_group_policy()
    researcher = staff_user(RESEARCHER)
    base = live_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(f"{base}/accounts/login/?next=/admin/research/uptake/")
    page.fill("input[name=login]", researcher.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", format_hotp_value(hotp_value(TOTP_SECRET, next(iter(yield_hotp_counters_from_time())))))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r".*/admin/research/uptake/$"))

    # Four charts, each an image named by its title and described in words, with its data as a table.
    charts = page.locator("figure.research-chart")
    assert charts.count() == 4
    images = page.get_by_role("img", name=re.compile("Practices with a first team-module completion"))
    assert images.count() == 1
    assert page.locator("#chart-team-completion svg path").count() >= 1
    page.get_by_text("Practices with a first team-module completion: the data as a table").click()
    assert page.locator("#chart-team-completion table").is_visible()
    assert "IMP-01" not in page.content()  # the summary names arms, not practices
    _assert_accessible(page)

    page.set_viewport_size({"width": 390, "height": 844})
    _assert_accessible(page)
    # On a phone the chart keeps a legible size and scrolls sideways inside its own region.
    width = page.locator("#chart-team-completion svg[role=img]").bounding_box()["width"]
    assert width >= 500

    # A bad filter is named, with no figures shown for it.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Window (weeks from randomisation)").fill("999")
    page.get_by_role("button", name="Show figures").click()
    page.wait_for_url(re.compile(r".*window_weeks=999.*"))
    assert page.get_by_role("link", name=re.compile("Window \\(weeks from randomisation\\): The window is 0 to 520 weeks.")).count() == 1
    assert page.locator("figure.research-chart").count() == 0
    _assert_accessible(page)

    page.goto(f"{base}/admin/research/uptake/practices/?arm=implementation")
    assert page.get_by_role("cell", name="IMP-01").count() == 1
    assert page.get_by_role("cell", name="CON-02").count() == 0
    _assert_accessible(page)

"""A researcher signs in with their authenticator, creates a data cut, watches its progress and downloads the zip.

Every page is checked with axe (WCAG 2.2 AA, 0 violations); the `browser` fixture (tests/conftest.py)
fails the test on any Content-Security-Policy violation or off-site request.
"""

from __future__ import annotations

import hashlib
import re
import zipfile

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from playwright.sync_api import expect

from accounts.permissions import apply_group_policy, ensure_permissions_exist
from accounts.roles import RESEARCHER
from research import services
from research.exports.package import FILE_ORDER
from research.models import CutStatus, DataCut, ExportAction, ExportAudit
from tests.accounts.factories import PASSWORD, TOTP_SECRET, staff_user

from .trial import build_trial

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


@pytest.fixture(autouse=True)
def _allow_sync_orm_under_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses that by default.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _assert_accessible(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    # Wagtail's admin messages fade in: measure colours once every animation and transition has ended.
    page.evaluate("Promise.all(document.getAnimations().map((animation) => animation.finished))")
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, results.generate_report()


def test_a_researcher_creates_a_cut_watches_its_progress_and_downloads_the_zip(live_server, browser, monkeypatch):
    build_trial()
    # Another transactional test's flush may have emptied the groups' permissions the migrations made.
    ensure_permissions_exist()
    apply_group_policy()
    researcher = staff_user(RESEARCHER)
    # The broker is "down": the job waits in the outbox, so the page shows the cut waiting, then
    # progressing as this test drives the writer (a worker would do the same).
    monkeypatch.setattr("outbox.services.dispatch", lambda *, job_id: False)
    base = live_server.url
    page = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True).new_page()

    page.goto(f"{base}/accounts/login/?next=/admin/research/cuts/")
    page.fill("input[name=login]", researcher.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", format_hotp_value(hotp_value(TOTP_SECRET, next(iter(yield_hotp_counters_from_time())))))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r".*/admin/research/cuts/$"))
    assert "No data cuts yet." in page.content()
    _assert_accessible(page)

    page.get_by_role("link", name="Create a data cut").click()
    page.wait_for_url(re.compile(r".*/admin/research/cuts/new/$"))
    _assert_accessible(page)
    page.get_by_label("Name").fill("browser-cut")
    page.get_by_role("button", name="Create the cut").click()
    page.wait_for_url(re.compile(r".*/admin/research/cuts/\d+/$"))
    cut = DataCut.objects.get(name="browser-cut")
    message = page.locator("#cut-message")
    assert message.inner_text() == "Waiting to start (20 rows to write)."
    _assert_accessible(page)

    # The writer claims the cut and reports 10 rows written: the page's poller shows it in place.
    assert services._claim_cut(cut.pk) is not None
    DataCut.objects.filter(pk=cut.pk).update(rows_written=10)
    expect(message).to_have_text(re.compile(r"^Written 10 of 20 rows\."))
    expect(page.locator("#cut-progress")).to_have_attribute("value", "10")
    _assert_accessible(page)

    # The writer finishes (it takes over a claim whose progress went quiet, as a retried job would).
    DataCut.objects.filter(pk=cut.pk).update(status=CutStatus.PENDING)
    services.write_cut(cut_id=cut.pk)
    page.get_by_role("button", name="Download the zip").wait_for()
    cut.refresh_from_db()
    assert cut.archive_sha256 in page.content()
    _assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the zip").click()
    download = download_info.value
    assert download.suggested_filename == "data-cut-browser-cut.zip"
    data = open(download.path(), "rb").read()  # noqa: PTH123, SIM115
    assert hashlib.sha256(data).hexdigest() == cut.archive_sha256
    with zipfile.ZipFile(download.path()) as bundle:
        assert bundle.namelist() == list(FILE_ORDER)
    assert ExportAudit.objects.filter(cut=cut, action=ExportAction.CUT_DOWNLOADED, actor=researcher).count() == 1

    page.goto(f"{base}/admin/research/cuts/")
    assert cut.archive_sha256 in page.content()
    _assert_accessible(page)

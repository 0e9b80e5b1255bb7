"""In Chromium: complete a module, download the certificate, follow its QR code to the verify page.

Also checks every certificate page with axe (WCAG 2.2 AA), and a practice lead's zip download.
"""

from __future__ import annotations

import io
import os
import zipfile

import pytest

from certificates import pdf
from certificates.models import Certificate

from .factories import PASSWORD, build_module, member, practice, sections_of
from .pdfread import needs_poppler, pdf_text, printed_qr_modules, qr_matrix

# `browser` (tests/conftest.py) fails the test on any Content-Security-Policy violation or off-site request.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), needs_poppler]

# Playwright's sync API runs an event loop in this thread; Django's ORM calls here are safe.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def _assert_accessible(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, results.generate_report()


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert "/accounts/login/" not in page.url


def test_learner_completes_downloads_and_verifies_from_the_qr(live_server, settings, browser, tmp_path):
    settings.CERTIFICATES_BASE_URL = live_server.url
    base = live_server.url
    module = build_module(title="Supporting asthma self-management", cpd_hours="1.50", sections=2)
    surgery = practice(name="Ysgol Feddygol Surgery")
    learner = member(practice_=surgery, first_name="Siân", last_name="Llŷr Gruffydd",
                     registration_body="NMC", registration_number="12A3456E")
    lead = member(practice_=surgery, is_lead=True, first_name="Priya", last_name="Lead")

    context = browser.new_context(viewport={"width": 390, "height": 844}, accept_downloads=True)
    page = context.new_page()
    _sign_in(page, base, learner.user.email)

    # Complete the module the way a learner does: open each section page.
    for section in sections_of(module):
        response = page.goto(base + section.get_url())
        assert response.status == 200
    certificate = Certificate.objects.get(user=learner.user)

    page.goto(f"{base}/certificates/")
    assert page.locator("h1").inner_text() == "My certificates"
    assert page.locator(".nhsuk-card__heading").first.inner_text() == "Supporting asthma self-management"
    _assert_accessible(page)

    with page.expect_download() as info:
        page.locator("a", has_text="Download certificate (PDF)").first.click()
    download = info.value
    assert download.suggested_filename.startswith("certificate-supporting-asthma-self-management-")
    content = open(download.path(), "rb").read()  # noqa: PTH123, SIM115 - Playwright's temp file
    text = pdf_text(content, tmp_path)
    assert "Siân Llŷr Gruffydd" in text
    assert "NMC 12A3456E" in text
    assert certificate.display_code in text

    # Read the QR code off the downloaded certificate and open the address it holds.
    qr_url = pdf.verify_url(certificate)
    assert qr_url == f"{base}/certificates/verify/{certificate.display_code}/"
    expected = qr_matrix(pdf.qr_code(qr_url))
    assert printed_qr_modules(content, tmp_path, len(expected)) == expected

    visitor = browser.new_context(viewport={"width": 1280, "height": 900})  # signed out, like an appraiser
    verify = visitor.new_page()
    verify.goto(qr_url)
    assert verify.locator("h1").inner_text() == "Certificate check"
    values = dict(zip(
        verify.locator(".nhsuk-summary-list__key").all_inner_texts(),
        verify.locator(".nhsuk-summary-list__value").all_inner_texts(), strict=True,
    ))
    assert values["Name"] == "Siân Llŷr Gruffydd"
    assert values["Status"] == "Valid"
    assert "12A3456E" not in verify.content()
    _assert_accessible(verify)
    verify.goto(f"{base}/certificates/verify/")
    verify.fill("input[name=code]", certificate.code.lower())
    verify.locator("main button[type=submit]").click()
    verify.wait_for_load_state()
    assert verify.url == qr_url
    verify.goto(f"{base}/certificates/verify/?code=nonsense")
    _assert_accessible(verify)

    # The reflection page, then the reflection on My certificates.
    page.locator("a", has_text="Write a reflection").first.click()
    _assert_accessible(page)
    page.fill("textarea[name=body]", "I will ask about triggers.\n\nAnd check inhaler technique.")
    page.locator("main button[type=submit]").click()
    page.wait_for_load_state()
    assert "I will ask about triggers." in page.locator("#reflections ~ section").first.inner_text()
    _assert_accessible(page)
    context.close()

    # The practice lead zips the practice's certificates and watches the progress page.
    lead_context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    lead_page = lead_context.new_page()
    _sign_in(lead_page, base, lead.user.email)
    lead_page.goto(f"{base}/certificates/practice/")
    _assert_accessible(lead_page)
    lead_page.locator("button", has_text="Prepare a zip of all certificates").click()
    lead_page.wait_for_load_state()
    lead_page.locator("#archive-download-link").wait_for(state="visible")
    assert "Your zip is ready: 1 certificate." in lead_page.locator("#archive-message").inner_text()
    _assert_accessible(lead_page)
    with lead_page.expect_download() as zip_info:
        lead_page.locator("#archive-download-link").click()
    bundle = zipfile.ZipFile(io.BytesIO(open(zip_info.value.path(), "rb").read()))  # noqa: PTH123, SIM115
    assert len([name for name in bundle.namelist() if name.endswith(".pdf")]) == 1
    lead_context.close()
    visitor.close()

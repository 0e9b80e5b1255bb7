"""What the certificate and CPD summary PDFs say, read back with poppler's pdftotext and pdfinfo."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from certificates import pdf, services
from certificates.pdf import format_hours, qr_svg_data_uri, verify_url

from .factories import admin_user, build_module, issued_certificate, member
from .pdfread import needs_poppler, pdf_info, pdf_text, printed_qr_modules, qr_matrix

pytestmark = pytest.mark.django_db

@needs_poppler
def test_certificate_pdf_says_who_what_when_how_long_and_how_to_check(tmp_path, client):
    learner = member(first_name="Siân", last_name="Llŷr Gruffydd", registration_body="GMC", registration_number="7654321")
    module = build_module(title="Supporting asthma self-management in the practice team", cpd_hours="2.50")
    certificate = issued_certificate(learner, module, at=datetime(2026, 3, 2, 23, 30, tzinfo=UTC))

    content = services.certificate_pdf_bytes(certificate=certificate)
    text = pdf_text(content, tmp_path)
    assert "Certificate of completion" in text
    assert "Siân Llŷr Gruffydd" in text  # Welsh circumflexes survive into the PDF's text
    assert "Professional registration: GMC 7654321" in text
    assert "Supporting asthma self-management in the practice team (version 1)" in text
    # 23:30 UTC on 2 March is still 2 March in London (GMT in March).
    assert "Completed on: 2 March 2026" in text
    assert "Learning time: 2.5 hours" in text
    assert f"Certificate code: {certificate.display_code}" in text
    assert "Issued by: IMP2ART practice education programme" in text
    assert "http://testserver/certificates/verify/" in text
    assert "Valid until" not in text  # this module's certificates never expire


@needs_poppler
def test_certificate_pdf_is_tagged_and_titled(tmp_path):
    certificate = issued_certificate()
    info = pdf_info(pdf.render_certificate_pdf(certificate), tmp_path)
    assert info["Tagged"] == "yes"
    assert info["Title"].startswith("Certificate of completion:")
    assert info["Author"] == "IMP2ART practice education programme"
    assert info["Pages"] == "1"
    assert info["Page size"].endswith("(A4)")


@needs_poppler
def test_certificate_without_registration_or_with_expiry(tmp_path):
    module = build_module(valid_months=36)
    certificate = issued_certificate(member(), module)
    text = pdf_text(pdf.render_certificate_pdf(certificate), tmp_path)
    assert "Professional registration" not in text
    assert "Valid until: 2 March 2029" in text


def test_the_qr_code_encodes_the_absolute_verify_url(settings):
    settings.CERTIFICATES_BASE_URL = "https://learning.example.nhs.uk/"
    certificate = issued_certificate()
    url = verify_url(certificate)
    assert url == f"https://learning.example.nhs.uk/certificates/verify/{certificate.display_code}/"
    html = pdf.certificate_html(certificate)
    assert qr_svg_data_uri(url) in html
    assert pdf.qr_code(url).designator.endswith("-M")


@needs_poppler
def test_the_renderer_fetches_nothing_from_outside(tmp_path):
    stylesheet = tmp_path / "leak.css"
    stylesheet.write_text('main::after { content: "LEAKED FROM DISK"; }')
    html = f'<html lang="en"><head><title>t</title><link rel="stylesheet" href="{stylesheet.as_uri()}"></head><body><main>Body</main></body></html>'
    from weasyprint import HTML

    # The control: WeasyPrint's default fetcher would read the file...
    assert "LEAKED FROM DISK" in pdf_text(HTML(string=html).write_pdf(), tmp_path)
    # ...ours refuses anything but data: URIs.
    text = pdf_text(pdf._write_pdf(html), tmp_path)
    assert "Body" in text
    assert "LEAKED FROM DISK" not in text


@pytest.mark.parametrize(
    ("hours", "text"), [("1.00", "1 hour"), ("1.50", "1.5 hours"), ("0.75", "0.75 hours"), ("10.00", "10 hours")]
)
def test_learning_time_is_written_as_people_write_it(hours, text):
    from decimal import Decimal

    assert format_hours(Decimal(hours)) == text


@needs_poppler
def test_cpd_summary_lists_certificates_total_hours_and_reflections(client, tmp_path):
    learner = member(first_name="Siân", last_name="Gruffydd", registration_body="NMC", registration_number="12A3456E")
    team = build_module(title="Team module", cpd_hours="0.50")
    in_depth = build_module(title="In-depth module", cpd_hours="2.00")
    revoked = build_module(title="Withdrawn module", cpd_hours="3.00")
    issued_certificate(learner, team)
    issued_certificate(learner, in_depth)
    services.revoke_certificate(
        certificate=issued_certificate(learner, revoked), by=admin_user(), reason="Module withdrawn."
    )
    services.save_reflection(
        user=learner.user, module=in_depth,
        body="<p>I will use the <strong>action plan</strong> in every review.</p><script>alert(1)</script>",
    )
    issued_certificate(member(first_name="Other", last_name="Person"), team)

    client.force_login(learner.user)
    response = client.get("/certificates/cpd-summary.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert "Continuing professional development summary" in text
    assert "Siân Gruffydd, professional registration NMC 12A3456E" in text
    assert "Team module (version 1)" in text
    assert "In-depth module (version 1)" in text
    assert "Revoked on" in text
    assert "Total learning time: 2.5 hours" in text  # the revoked 3 hours are not counted
    assert "I will use the action plan in every review." in text
    assert "alert(1)" not in text
    assert "Other Person" not in text


@needs_poppler
def test_the_printed_qr_code_reads_as_the_absolute_verify_url(tmp_path, settings):
    settings.CERTIFICATES_BASE_URL = "https://learning.example.nhs.uk"
    certificate = issued_certificate()
    content = pdf.render_certificate_pdf(certificate)
    url = f"https://learning.example.nhs.uk/certificates/verify/{certificate.display_code}/"
    expected = qr_matrix(pdf.qr_code(url))
    assert printed_qr_modules(content, tmp_path, len(expected)) == expected
    # A different URL's symbol does not match, so the comparison can fail.
    other = qr_matrix(pdf.qr_code(url.replace("https", "http")))
    assert len(other) == len(expected)
    assert printed_qr_modules(content, tmp_path, len(other)) != other

"""Render certificates and CPD summaries to tagged PDF (PDF/UA-1) with WeasyPrint."""

from __future__ import annotations

import logging
from decimal import Decimal

import segno
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from . import conf
from .models import Certificate
from .selectors import CpdSummary, holder_name

# WeasyPrint logs every rendering step at INFO; keep those out of the application log.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def verify_url(certificate: Certificate) -> str:
    """Return the absolute address of the certificate's public verify page."""
    return conf.base_url() + reverse("certificates:verify_code", args=[certificate.display_code])


def qr_code(url: str) -> segno.QRCode:
    """Return the QR code for a URL (medium error correction survives a crease or a stamp)."""
    return segno.make(url, error="m", micro=False)


def qr_svg_data_uri(url: str) -> str:
    """Return the QR code for a URL as an SVG data: URI."""
    return qr_code(url).svg_data_uri(scale=4, border=2, dark="#000000", light="#ffffff")


def format_hours(hours: Decimal) -> str:
    """Return learning time as people write it: "1 hour", "1.5 hours", "0.75 hours"."""
    text = format(hours.normalize(), "f")
    return f"{text} hour" if hours == 1 else f"{text} hours"


def _fetcher():
    from weasyprint.urls import URLFetcher

    # Everything the templates need is inline (styles, the QR code as a data: URI), so the
    # renderer may fetch nothing else: no files, no network, whatever a reflection links to.
    # A new fetcher per document, because a fetcher keeps per-request state.
    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def _write_pdf(html: str) -> bytes:
    # Imported on first use: web processes that never render do not pay for loading WeasyPrint.
    from weasyprint import HTML

    return HTML(string=html, base_url=None, url_fetcher=_fetcher()).write_pdf(pdf_variant="pdf/ua-1")


def certificate_html(certificate: Certificate) -> str:
    """Return the HTML the certificate PDF is rendered from."""
    url = verify_url(certificate)
    return render_to_string(
        "certificates/pdf/certificate.html",
        {
            "certificate": certificate,
            "verify_url": url,
            "verify_form_url": conf.base_url() + reverse("certificates:verify"),
            "qr_data_uri": qr_svg_data_uri(url),
            "learning_time": format_hours(certificate.learning_hours),
            "issuer": conf.issuer(),
        },
    )


def render_certificate_pdf(certificate: Certificate) -> bytes:
    """Return the certificate as PDF bytes."""
    return _write_pdf(certificate_html(certificate))


def render_cpd_summary_pdf(*, user, summary: CpdSummary) -> bytes:
    """Return the learner's CPD summary (certificates, total hours, reflections) as PDF bytes."""
    rows = [
        {
            "certificate": certificate,
            "learning_time": format_hours(certificate.learning_hours),
            "status": certificate.status,
        }
        for certificate in summary.certificates
    ]
    html = render_to_string(
        "certificates/pdf/cpd_summary.html",
        {
            "holder_name": holder_name(user),
            "registration": user.registration_display,
            "rows": rows,
            "total_time": format_hours(summary.total_hours),
            "reflections": summary.reflections,
            "issuer": conf.issuer(),
            "verify_form_url": conf.base_url() + reverse("certificates:verify"),
            "generated_on": timezone.localdate(),
        },
    )
    return _write_pdf(html)

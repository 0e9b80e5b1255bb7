"""System checks for the certificate settings."""

from __future__ import annotations

from urllib.parse import urlparse

from django.core.checks import Error, register

from . import conf


@register()
def check_certificate_settings(app_configs, **kwargs) -> list[Error]:
    """Refuse a base URL that QR codes cannot point to, and a rate limit that is not two positive integers."""
    errors: list[Error] = []
    parsed = urlparse(conf.base_url())
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        errors.append(
            Error(
                "CERTIFICATES_BASE_URL (or WAGTAILADMIN_BASE_URL) must be an absolute http(s) URL.",
                hint="Set DJANGO_BASE_URL, e.g. https://learning.example.nhs.uk",
                id="certificates.E001",
            )
        )
    try:
        limit = conf.verify_rate_limit()
        valid = limit.requests > 0 and limit.seconds > 0
    except (TypeError, ValueError):
        valid = False
    if not valid:
        errors.append(
            Error(
                "CERTIFICATES_VERIFY_RATE_LIMIT must be (requests, seconds), both positive integers.",
                id="certificates.E002",
            )
        )
    return errors

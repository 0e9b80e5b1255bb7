"""Certificate settings, read from Django settings with defaults (validated in checks.py)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

DEFAULT_ISSUER = "IMP2ART practice education programme"


@dataclass(frozen=True)
class VerifyRateLimit:
    """At most `requests` verify-page requests per client IP in each window of `seconds`."""

    requests: int
    seconds: int


def base_url() -> str:
    """Return the public site address that certificate QR codes and emails point to."""
    url = getattr(settings, "CERTIFICATES_BASE_URL", "") or getattr(settings, "WAGTAILADMIN_BASE_URL", "")
    return url.rstrip("/")


def issuer() -> str:
    """Return the issuer named on every certificate."""
    return getattr(settings, "CERTIFICATES_ISSUER", "") or DEFAULT_ISSUER


def verify_rate_limit() -> VerifyRateLimit:
    """Return the verify page's per-IP rate limit (default 30 requests a minute)."""
    requests, seconds = getattr(settings, "CERTIFICATES_VERIFY_RATE_LIMIT", (30, 60))
    return VerifyRateLimit(requests=int(requests), seconds=int(seconds))

"""Keep bearer secrets out of the logs: certificate codes, invitation tokens, email and reset keys.

A certificate code, an invitation token or an allauth key in a URL is all a person needs to read
a certificate, join a practice or take over an account. Django logs URLs (django.request on every
4xx and 5xx, runserver's django.server on every request), so a log line could hand them to anyone
who reads the logs. RedactSecretsFilter, installed on every handler in settings.LOGGING, rewrites
each record's message with those parts replaced by "[redacted]" before any handler formats it.

The secret routes are named here and turned into patterns by reversing them, so the filter follows
the URLconf rather than a copy of its paths.
"""

from __future__ import annotations

import logging
import re

from django.urls import NoReverseMatch, reverse

REDACTED = "[redacted]"

# (URL name, the keyword arguments that are secrets): every argument of these routes is a secret.
SECRET_ROUTES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("certificates:verify_code", ("code",)),
    ("certificates:pdf", ("code",)),
    ("practices:join_invitation", ("token",)),
    ("account_confirm_email", ("key",)),
    ("account_reset_password_from_key", ("uidb36", "key")),
)
# A secret typed into a form sent by GET (the verify form's ?code=) or passed as a query parameter.
SECRET_QUERY = re.compile(r"([?&](?:code|token|key)=)[^&#\s\"']*", re.IGNORECASE)
# What a path segment may contain: anything but a separator, a space or a quote.
_SEGMENT = r"[^/?#\s\"']+"


_patterns: tuple[tuple[re.Pattern[str], str], ...] | None = None


def _route_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    global _patterns  # built once, after the URLconf has loaded
    if _patterns is None:
        try:
            _patterns = _build_route_patterns()
        except Exception:  # a record logged while the URLconf is still loading: try again later
            return ()
    return _patterns


def _build_route_patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    patterns = []
    for name, params in SECRET_ROUTES:
        sentinels = {param: f"zzsecret{index}zz" for index, param in enumerate(params)}
        try:
            url = reverse(name, kwargs=sentinels)
        except NoReverseMatch:
            continue  # an app that is not installed has no such route to protect
        pieces = re.split(r"(zzsecret\d+zz)", url)
        regex = "".join(_SEGMENT if piece in sentinels.values() else re.escape(piece) for piece in pieces)
        replacement = "".join(REDACTED if piece in sentinels.values() else piece for piece in pieces)
        patterns.append((re.compile(regex), replacement.replace("\\", "\\\\")))
    return tuple(patterns)


def redact(text: str) -> str:
    """Return the text with every secret in a URL of ours replaced by [redacted]."""
    for pattern, replacement in _route_patterns():
        text = pattern.sub(replacement, text)
    return SECRET_QUERY.sub(rf"\g<1>{REDACTED}", text)


class RedactSecretsFilter(logging.Filter):
    """Rewrite a log record's message so no certificate code, invitation token or key reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is left for logging itself to report
            return True
        redacted = redact(message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True

"""Research settings, read in one place with their rules (validated by research.checks)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# A key shorter than this is guessable enough to re-identify participants by brute force.
MIN_KEY_LENGTH = 32
# Keys that are public (in this repository's settings and examples) and so protect nothing.
KNOWN_KEYS = frozenset({"dev-only-pseudonym-key", "test-pseudonym-key"})
PLACEHOLDER_MARK = "replace-me"

# How many rows an export reads from the database at a time (memory stays flat however many events).
EXPORT_BATCH_SIZE = 5000


def pseudonym_key() -> bytes:
    """Return the study's pseudonymisation key, refusing to run without one."""
    key = getattr(settings, "RESEARCH_PSEUDONYM_KEY", "") or ""
    if not key:
        raise ImproperlyConfigured(
            "RESEARCH_PSEUDONYM_KEY is not set: research exports need the study's pseudonymisation key."
        )
    return key.encode("utf-8")


def key_problem(key: str | None) -> str | None:
    """Return why a key must not be used in production, or None if it may."""
    if not key:
        return "RESEARCH_PSEUDONYM_KEY is not set."
    if key in KNOWN_KEYS or PLACEHOLDER_MARK in key.lower():
        return "RESEARCH_PSEUDONYM_KEY is a public default or placeholder value."
    if len(key) < MIN_KEY_LENGTH:
        return f"RESEARCH_PSEUDONYM_KEY is shorter than {MIN_KEY_LENGTH} characters."
    if len(set(key)) < 8:
        return "RESEARCH_PSEUDONYM_KEY repeats too few characters to be random."
    return None

# Research API tokens: the longest a token may live, and the lifetimes the admin offers.
API_TOKEN_MAX_DAYS = 90
API_TOKEN_DAY_CHOICES = (7, 30, 60, 90)
# A token's last use is written at most this often, so a busy pipeline does not write on every call.
API_TOKEN_LAST_USE_EVERY_SECONDS = 60
# Page sizes of the events endpoint.
API_EVENTS_DEFAULT_PAGE_SIZE = 500
API_EVENTS_MAX_PAGE_SIZE = 5000


def api_throttle_rate() -> str:
    """Return the research API's request rate per token, as DRF writes rates (e.g. '600/hour')."""
    return getattr(settings, "RESEARCH_API_THROTTLE_RATE", "1200/hour")

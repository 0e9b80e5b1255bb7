"""Helpers for management commands' options, shared by every app's commands."""

from __future__ import annotations

import re
from datetime import date

from django.core.management.base import CommandError

DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def parse_date_option(option: str, value: str | None) -> date | None:
    """Return the option's date (YYYY-MM-DD), None if it was not given, or raise a CommandError naming it."""
    if value is None:
        return None
    try:
        if not DATE_PATTERN.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--{option} must be a date as YYYY-MM-DD, got {value!r}.") from None

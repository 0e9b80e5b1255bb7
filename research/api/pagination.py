"""The events feed's cursor: the (occurred_at, id) of the last event a page returned, opaque to clients."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime


def encode_cursor(moment: datetime, event_id: int) -> str:
    """Return the cursor for resuming after the event at this time with this id."""
    raw = json.dumps([moment.astimezone(UTC).isoformat(), event_id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int] | None:
    """Return the position a cursor stands for, or None if it is not one encode_cursor wrote."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        moment_text, event_id = json.loads(raw)
        moment = datetime.fromisoformat(moment_text)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return None
    if moment.tzinfo is None or type(event_id) is not int or event_id < 1:
        return None
    return moment, event_id

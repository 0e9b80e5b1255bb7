"""Events a page at a time, for a feed that resumes where its last page ended (the research API's events).

Same filter and same values as the export's learning.selectors.events.iter_records: the page is
keyed on (occurred_at, id), the access log's own order, so a client walking the pages sees every
selected event once even while new ones are recorded.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.db.models.fields.json import KT

from .events import EVENT_DETAIL_KEYS, EVENT_FIELDS, RecordFilter, _filtered


def event_page(where: RecordFilter, *, after: tuple[datetime, int] | None = None, limit: int) -> list[tuple]:
    """Return up to `limit` selected events (EVENT_FIELDS) after the (occurred_at, id) position, in that order."""
    qs = _filtered("events", where)
    if after is not None:
        moment, event_id = after
        qs = qs.filter(Q(occurred_at__gt=moment) | Q(occurred_at=moment, id__gt=event_id))
    qs = qs.order_by("occurred_at", "id").annotate(**{key: KT(f"detail__{key}") for key in EVENT_DETAIL_KEYS})
    return list(qs.values_list(*EVENT_FIELDS)[:limit])

"""Raw records for research exports: events, completions, knowledge-check answers and protocol deviations.

One function per table, each yielding plain tuples in a fixed order (time, then id) in batches, so
an export of millions of rows holds one batch in memory at a time. The caller says which practices
to read (`practice_ids`), the period ([start, end), either open), the moment of its data cut
(`until`, inclusive) and the highest row id the cut saw (`max_id`, inclusive), so rows recorded
after the cut, even back-dated ones, never appear in it. `collection_ends` maps a practice id to
the moment collection stopped for it (withdrawal, learning.measures.collection_ends_at): rows dated
from then on are left out, as uptake leaves them out.

These read learning's tables; nothing here writes, and nothing here knows about pseudonyms: the
rows carry user ids, which the research app replaces before anything leaves the platform.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Max, Q, QuerySet

from ..models import KnowledgeCheckAttempt, LearningEvent, ModuleCompletion, ProtocolDeviation

EVENT_FIELDS = (
    "id", "user_id", "practice_id", "role", "event_type", "module_id", "section_id", "module_version",
    "visit_number", "occurred_at", "detail",
)
COMPLETION_FIELDS = (
    "id", "user_id", "practice_id", "role", "module_id", "module_version", "cycle", "completed_at",
    "engagement_percent",
)
ATTEMPT_FIELDS = (
    "id", "user_id", "practice_id", "module_id", "section_id", "module_version", "block_id",
    "selected_option_ids", "is_correct", "attempted_at",
)
DEVIATION_FIELDS = ("id", "user_id", "practice_id", "role", "module_id", "section_id", "occurred_at")


@dataclass(frozen=True)
class RecordFilter:
    """Which rows an export reads: practices, period, cut moment and the highest id per table."""

    practice_ids: Collection[int]
    until: datetime
    start: datetime | None = None
    end: datetime | None = None
    max_ids: Mapping[str, int] | None = None
    collection_ends: Mapping[int, datetime] | None = None


# Table name (as in max_ids) -> (model, time field, fields).
TABLES: dict[str, tuple[type, str, tuple[str, ...]]] = {
    "events": (LearningEvent, "occurred_at", EVENT_FIELDS),
    "completions": (ModuleCompletion, "completed_at", COMPLETION_FIELDS),
    "knowledge_check_attempts": (KnowledgeCheckAttempt, "attempted_at", ATTEMPT_FIELDS),
    "protocol_deviations": (ProtocolDeviation, "occurred_at", DEVIATION_FIELDS),
}


def highest_ids() -> dict[str, int]:
    """Return the highest row id of each table now (0 for an empty table): a cut's high-water marks."""
    return {name: model.objects.aggregate(top=Max("id"))["top"] or 0 for name, (model, _, _) in TABLES.items()}


def _filtered(name: str, where: RecordFilter) -> QuerySet:
    model, time_field, _ = TABLES[name]
    qs = model.objects.filter(practice_id__in=list(where.practice_ids), **{f"{time_field}__lte": where.until})
    if where.start is not None:
        qs = qs.filter(**{f"{time_field}__gte": where.start})
    if where.end is not None:
        qs = qs.filter(**{f"{time_field}__lt": where.end})
    if where.max_ids is not None:
        qs = qs.filter(id__lte=where.max_ids.get(name, 0))
    for practice_id, ends_at in sorted((where.collection_ends or {}).items()):
        qs = qs.exclude(Q(practice_id=practice_id) & Q(**{f"{time_field}__gte": ends_at}))
    return qs


def count_records(name: str, where: RecordFilter) -> int:
    """Return how many rows of the table the filter selects."""
    return _filtered(name, where).count()


def iter_records(name: str, where: RecordFilter, *, batch_size: int = 5000) -> Iterator[tuple]:
    """Yield the selected rows of a table as tuples (its *_FIELDS), in time then id order, a batch at a time.

    Keyset pagination on (time, id): each batch is one indexed query that starts after the last
    row of the one before, so memory stays flat and no cursor is held open between batches.
    """
    _, time_field, fields = TABLES[name]
    qs = _filtered(name, where).order_by(time_field, "id").values_list(*fields)
    time_index = fields.index(time_field)
    after: tuple[datetime, int] | None = None
    while True:
        page = qs
        if after is not None:
            moment, last_id = after
            page = qs.filter(Q(**{f"{time_field}__gt": moment}) | Q(**{time_field: moment, "id__gt": last_id}))
        rows = list(page[:batch_size])
        if not rows:
            return
        yield from rows
        last = rows[-1]
        after = (last[time_index], last[0])
        if len(rows) < batch_size:
            return

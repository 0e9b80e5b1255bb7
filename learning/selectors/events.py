"""Raw records for research exports: events, completions, knowledge-check answers and protocol deviations.

One function per table, each yielding plain tuples in a fixed order (time, then id) from one query
read a batch at a time, so an export of millions of rows holds one batch in memory at a time. The caller says which practices
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

from django.core.exceptions import EmptyResultSet
from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.fields.json import KT

from ..models import KnowledgeCheckAttempt, LearningEvent, ModuleCompletion, ProtocolDeviation

EVENT_FIELDS = (
    "id", "user_id", "practice_id", "role", "event_type", "module_id", "section_id", "module_version",
    "visit_number", "occurred_at", "block_id", "is_correct", "document_id",
)
# The parts of an event's detail an export needs, read by the database rather than decoding the
# whole JSON in Python (each comes back as text, or as a number or 1/0 on SQLite; None if absent).
EVENT_DETAIL_KEYS = ("block_id", "is_correct", "document_id")
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

    One query read through a cursor a batch at a time (a server-side cursor on PostgreSQL, the
    connection's own stepping on SQLite), so memory stays flat however many rows there are and the
    database sorts once. The rows are a snapshot on PostgreSQL; a cut's filter (until, max_ids)
    makes rows added meanwhile irrelevant on SQLite too.
    """
    _, time_field, fields = TABLES[name]
    qs = _filtered(name, where).order_by(time_field, "id")
    if name == "events":
        qs = qs.annotate(**{key: KT(f"detail__{key}") for key in EVENT_DETAIL_KEYS})
    yield from qs.values_list(*fields).iterator(chunk_size=batch_size)


def event_keys(where: RecordFilter) -> list[tuple[int, int, int | None]]:
    """Return each distinct (user id, module id, section id) among the selected events."""
    return list(_filtered("events", where).order_by().values_list("user_id", "module_id", "section_id").distinct())


def event_times(where: RecordFilter) -> tuple[int, datetime | None, datetime | None]:
    """Return how many events the filter selects, and the first and last moments among them."""
    found = _filtered("events", where).aggregate(events=Count("id"), first=Min("occurred_at"), last=Max("occurred_at"))
    return found["events"], found["first"], found["last"]


# The events' own columns, as event_rows_sql selects them: the detail stays JSON, for the database
# that writes the export to read its keys.
EVENT_SQL_COLUMNS = (
    "id", "user_id", "practice_id", "role", "event_type", "module_id", "section_id", "module_version",
    "visit_number", "occurred_at", "detail",
)


def event_rows_sql(where: RecordFilter) -> tuple[str, tuple] | None:
    """Return the SQL and parameters selecting the events' EVENT_SQL_COLUMNS (unordered), or None if none can match.

    For a caller that has the database write the rows itself (research's COPY on PostgreSQL) by
    wrapping this in its own query: the same filter as iter_records, nothing else.
    """
    qs = _filtered("events", where).order_by().values_list(*EVENT_SQL_COLUMNS)
    try:
        return qs.query.sql_with_params()
    except EmptyResultSet:
        return None

"""Uptake rollups: daily counts recomputed from the append-only events by an idempotent fill (Zulip-style).

Events are the truth; these tables are derived from them and can always be rebuilt. Nothing in the
request path writes them (recording a view costs what it did): Celery beat runs the fill every
minute (learning.tasks) and `manage.py fill_rollups` runs it by hand. docs/measures.md ("Rollups")
describes them for the trial team.

- UptakeCount: per practice, module, property, role and UTC day, the learners (or visits, or
  completers) active that day, split by their previous active day (None for their first). Distinct
  counts add up exactly for any period [start, end): a learner active in it has exactly one row
  with day in [start, end) and previous day before start (or None), the row of their first active
  day in the period. Open-start periods read only the first-day rows.
- UptakeTotal: per practice and module, the all-time figures (the first-day rows summed), so the
  default report (no period) reads one row per practice and module.
- FillState: watermarks on the three append-only tables' ids (events, completions, deviations).
  Rows up to them are in the rollups; newer rows are the tail.

The fill refills whole practices: every practice with a row above the watermarks (any module) is
recomputed from all its rows up to the fill's targets, in chunks, each chunk's delete and insert in
one transaction with the fill's progress. A fill that stops half-way leaves each practice either
as it was or refilled, and the next run resumes after the last practice done. The targets are the
newest ids whose transactions have all ended (on PostgreSQL an id can commit after a larger one).

Readers (learning.selectors.uptake) answer from the rollups only for practices with nothing in the
tail; the rest come from the raw events, so a figure never misses a just-recorded event.
Withdrawn practices that kept their data are read up to their cut-off (withdrawn_figures: a UK
midnight, which in summer time falls at 23:00 UTC inside a UTC day, so that day's last hour is
taken off from the raw rows). Practices that chose deletion are read raw, and the fill removes
their rollups, as their events are removed.
"""

from __future__ import annotations

import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Count, IntegerField, Max, Min, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from practices.models import Practice, WithdrawalDataChoice

from .measures import collection_ends_at
from .models import (
    FillState,
    FillStatus,
    LearningEvent,
    ModuleCompletion,
    ProtocolDeviation,
    UptakeCount,
    UptakeProperty,
    UptakeTotal,
)

logger = logging.getLogger(__name__)

FILL_NAME = "uptake"
ALL_ROLES = ""
# Practices refilled per transaction: small enough to keep each transaction short, large enough
# that a first fill of millions of events is a few dozen transactions.
DEFAULT_CHUNK_PRACTICES = 200
# How long a fill waits on PostgreSQL for writers in progress before trying again next run.
WRITERS_WAIT_SECONDS = 5.0
BULK_BATCH = 5000


@dataclass
class UnitFigures:
    """One practice's figures for one module in a period, before the window and randomisation are applied."""

    accesses: int = 0
    learners: int = 0
    completers: int = 0
    deviations: int = 0
    first_access_at: datetime | None = None
    first_completion_at: datetime | None = None
    accesses_by_role: dict[str, int] = field(default_factory=dict)
    learners_by_role: dict[str, int] = field(default_factory=dict)
    completers_by_role: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FillResult:
    """What one fill run did."""

    practices_refilled: int
    events_through: int
    completions_through: int
    deviations_through: int
    waited_for_writers: bool = False


class FillBusy(Exception):
    """Writers in progress did not finish in time; the fill tries again on its next run."""


# --- The tail ---------------------------------------------------------------------------------------


def _watermark(column: str):
    # No FillState row means nothing is filled: every row is in the tail.
    return Coalesce(
        Subquery(FillState.objects.filter(name=FILL_NAME).values(column)[:1]), Value(0),
        output_field=IntegerField(),
    )


# An upper bound no id reaches. With it PostgreSQL reads "id above the watermark" as a range and
# estimates it as narrow, so it scans the primary key from the watermark (a few rows) instead of
# reading every practice's events: 0.2 ms instead of 350 ms on a million events.
MAX_ID = 2**63 - 1


def tail_q() -> Q:
    """Return a Q on Practice: practices with an event, completion or deviation newer than the watermarks."""
    return (
        Q(pk__in=LearningEvent.objects.filter(id__gt=_watermark("events_through"), id__lte=MAX_ID)
          .values("practice_id"))
        | Q(pk__in=ModuleCompletion.objects.filter(id__gt=_watermark("completions_through"), id__lte=MAX_ID)
            .values("practice_id"))
        | Q(pk__in=ProtocolDeviation.objects.filter(id__gt=_watermark("deviations_through"), id__lte=MAX_ID)
            .values("practice_id"))
    )


def answered_raw(practice: Practice, *, in_tail: bool) -> bool:
    """Return True if a practice's figures must come from the raw events rather than the rollups.

    Practices with rows in the tail, and withdrawn practices that chose deletion (their events go,
    and until the next fill their rollups would still count them), are read raw.
    """
    return in_tail or (
        practice.withdrawn_on is not None and practice.withdrawal_data_choice != WithdrawalDataChoice.RETAIN
    )


# --- Reading ------------------------------------------------------------------------------------------


def rollup_figures(
    *, practice_ids: set[int], module_ids: Iterable[int], start: date | None, end: date | None
) -> dict[tuple[int, int], UnitFigures]:
    """Return each (practice, module)'s figures for [start, end) from the rollups (one query)."""
    module_ids = list(module_ids)
    figures: dict[tuple[int, int], UnitFigures] = {}
    if not practice_ids or not module_ids:
        return figures
    # A short list of practices filters in the database; a long one (the whole registry) in Python,
    # rather than sending thousands of parameters.
    narrow = len(practice_ids) <= 500
    if start is None and end is None and connection.vendor == "postgresql":
        return _totals_postgresql(practice_ids, module_ids, narrow=narrow)
    if start is None and end is None:
        totals = UptakeTotal.objects.filter(module_id__in=module_ids)
        if narrow:
            totals = totals.filter(practice_id__in=practice_ids)
        for row in totals.values_list(
            "practice_id", "module_id", "accesses", "learners", "completers", "deviations", "first_access_at",
            "first_completion_at", "accesses_by_role", "learners_by_role", "completers_by_role",
        ):
            if row[0] not in practice_ids:
                continue
            figures[(row[0], row[1])] = UnitFigures(
                accesses=row[2], learners=row[3], completers=row[4], deviations=row[5], first_access_at=row[6],
                first_completion_at=row[7], accesses_by_role=dict(row[8]), learners_by_role=dict(row[9]),
                completers_by_role=dict(row[10]),
            )
        return figures

    counts = UptakeCount.objects.filter(module_id__in=module_ids)
    if narrow:
        counts = counts.filter(practice_id__in=practice_ids)
    if end is not None:
        counts = counts.filter(day__lt=end)
    if start is not None:
        # Each learner's (visit's, completer's) first active day in the period: its previous active
        # day is before the period or it has none.
        counts = counts.filter(Q(day__gte=start), Q(previous_day__isnull=True) | Q(previous_day__lt=start))
    else:
        counts = counts.filter(previous_day__isnull=True)
    for practice_id, module_id, prop, role, value, first_at in (
        counts.values_list("practice_id", "module_id", "property", "role")
        .annotate(value=Sum("value"), first=Min("first_at"))
        .order_by()
        .values_list("practice_id", "module_id", "property", "role", "value", "first")
    ):
        if practice_id not in practice_ids:
            continue
        unit = figures.setdefault((practice_id, module_id), UnitFigures())
        _add(unit, prop, role, value, first_at)
    return figures


def _totals_postgresql(practice_ids: set[int], module_ids: list[int], *, narrow: bool) -> dict[tuple[int, int], UnitFigures]:
    """Return the UptakeTotal rows as figures, fetched as one JSON document and parsed once.

    The same rows as the ORM query on other databases: on PostgreSQL, decoding three JSON columns
    and two timestamps per row one by one was most of a national report's time.
    """
    where = "module_id = ANY(%s)"
    params: list = [module_ids]
    if narrow:
        where += " AND practice_id = ANY(%s)"
        params.append(list(practice_ids))
    table = UptakeTotal._meta.db_table
    columns = (
        "practice_id, module_id, accesses, learners, completers, deviations, first_access_at, first_completion_at, "
        "accesses_by_role, learners_by_role, completers_by_role"
    )
    # The table name is the model's and the values are parameters.
    sql = f"SELECT coalesce(json_agg(json_build_array({columns})), '[]') FROM {table} WHERE {where}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        (document,) = cursor.fetchone()
    rows = json.loads(document) if isinstance(document, str) else document
    moment = datetime.fromisoformat
    figures = {}
    for practice_id, module_id, accesses, learners, completers, deviations, first_access, first_completion, \
            by_access, by_learner, by_completer in rows:
        if practice_id not in practice_ids:
            continue
        figures[(practice_id, module_id)] = UnitFigures(
            accesses=accesses, learners=learners, completers=completers, deviations=deviations,
            first_access_at=moment(first_access) if first_access else None,
            first_completion_at=moment(first_completion) if first_completion else None,
            accesses_by_role=by_access, learners_by_role=by_learner, completers_by_role=by_completer,
        )
    return figures


def _earliest(current: datetime | None, moment: datetime | None) -> datetime | None:
    if current is None:
        return moment
    return current if moment is None or current <= moment else moment


def _add(unit: UnitFigures, prop: str, role: str, value: int, first_at: datetime | None) -> None:
    """Add one rollup aggregate to a unit's figures."""
    if prop == UptakeProperty.LEARNERS:
        unit.learners += value
        unit.first_access_at = _earliest(unit.first_access_at, first_at)
    elif prop == UptakeProperty.ACCESSES:
        unit.accesses += value
    elif prop == UptakeProperty.LEARNERS_BY_ROLE:
        unit.learners_by_role[role] = unit.learners_by_role.get(role, 0) + value
    elif prop == UptakeProperty.ACCESSES_BY_ROLE:
        unit.accesses_by_role[role] = unit.accesses_by_role.get(role, 0) + value
    elif prop == UptakeProperty.COMPLETERS:
        unit.completers += value
        unit.completers_by_role[role] = unit.completers_by_role.get(role, 0) + value
        unit.first_completion_at = _earliest(unit.first_completion_at, first_at)
    elif prop == UptakeProperty.DEVIATIONS:
        unit.deviations += value
    else:
        raise ValueError(f"Unknown rollup property {prop!r}.")


# --- Computing a practice's rows from the events ---------------------------------------------------------


CountKey = tuple[str, int, int, str, date, "date | None"]


def _chain(
    acc: dict[CountKey, list], prop: str, active_days: dict[tuple, dict[date, datetime]]
) -> None:
    """Add one row per active day of each learner (or visit), keyed by the previous active day."""
    for (practice_id, module_id, role, _who), days in active_days.items():
        previous = None
        for day in sorted(days):
            entry = acc[(prop, practice_id, module_id, role, day, previous)]
            entry[0] += 1
            entry[1] = _earliest(entry[1], days[day])
            previous = day


def compute_counts(
    practice_ids: list[int], *, events_through: int, completions_through: int, deviations_through: int
) -> dict[CountKey, list]:
    """Return the UptakeCount rows ({key: [value, first_at]}) of the practices from rows up to the given ids."""
    acc: dict[CountKey, list] = defaultdict(lambda: [0, None])
    learners: dict[tuple, dict[date, datetime]] = defaultdict(dict)
    learners_by_role: dict[tuple, dict[date, datetime]] = defaultdict(dict)
    visits: dict[tuple, dict[date, datetime]] = defaultdict(dict)
    visits_by_role: dict[tuple, dict[date, datetime]] = defaultdict(dict)
    views = (
        LearningEvent.objects.views()
        .filter(practice_id__in=practice_ids, id__lte=events_through)
        .annotate(day=TruncDate("occurred_at", tzinfo=UTC))
        .values_list("practice_id", "module_id", "role", "user_id", "visit_number", "day")
        .annotate(first=Min("occurred_at"))
        .order_by()
        .values_list("practice_id", "module_id", "role", "user_id", "visit_number", "day", "first")
    )
    for practice_id, module_id, role, user_id, visit, day, first in views.iterator(chunk_size=BULK_BATCH):
        for target, key in (
            (learners, (practice_id, module_id, ALL_ROLES, user_id)),
            (learners_by_role, (practice_id, module_id, role, user_id)),
            (visits, (practice_id, module_id, ALL_ROLES, (user_id, visit))),
            (visits_by_role, (practice_id, module_id, role, (user_id, visit))),
        ):
            days = target[key]
            days[day] = _earliest(days.get(day), first)
    _chain(acc, UptakeProperty.LEARNERS, learners)
    _chain(acc, UptakeProperty.LEARNERS_BY_ROLE, learners_by_role)
    _chain(acc, UptakeProperty.ACCESSES, visits)
    _chain(acc, UptakeProperty.ACCESSES_BY_ROLE, visits_by_role)

    # Completers: each learner's first completion of each day (by time, then id, as the raw path
    # orders them), under the role it recorded.
    completion_days: dict[tuple, dict[date, tuple[str, datetime]]] = defaultdict(dict)
    for practice_id, module_id, user_id, role, completed_at in (
        ModuleCompletion.objects.filter(practice_id__in=practice_ids, id__lte=completions_through)
        .order_by("completed_at", "id")
        .values_list("practice_id", "module_id", "user_id", "role", "completed_at")
    ):
        day = completed_at.astimezone(UTC).date()
        completion_days[(practice_id, module_id, user_id)].setdefault(day, (role, completed_at))
    for (practice_id, module_id, _user_id), days in completion_days.items():
        previous = None
        for day in sorted(days):
            role, completed_at = days[day]
            entry = acc[(UptakeProperty.COMPLETERS, practice_id, module_id, role, day, previous)]
            entry[0] += 1
            entry[1] = _earliest(entry[1], completed_at)
            previous = day

    for practice_id, module_id, day, n, first in (
        ProtocolDeviation.objects.filter(practice_id__in=practice_ids, id__lte=deviations_through)
        .annotate(day=TruncDate("occurred_at", tzinfo=UTC))
        .values_list("practice_id", "module_id", "day")
        .annotate(n=Count("id"), first=Min("occurred_at"))
        .order_by()
        .values_list("practice_id", "module_id", "day", "n", "first")
    ):
        acc[(UptakeProperty.DEVIATIONS, practice_id, module_id, ALL_ROLES, day, None)] = [n, first]
    return acc


def totals_from_counts(acc: dict[CountKey, list]) -> dict[tuple[int, int], UnitFigures]:
    """Return each (practice, module)'s all-time figures: the first-day rows summed."""
    totals: dict[tuple[int, int], UnitFigures] = {}
    for (prop, practice_id, module_id, role, _day, previous), (value, first_at) in acc.items():
        if previous is None:
            _add(totals.setdefault((practice_id, module_id), UnitFigures()), prop, role, value, first_at)
    return totals


def _refill(practice_ids: list[int], *, targets: tuple[int, int, int]) -> None:
    """Replace the practices' rollup rows with rows recomputed from everything up to the targets."""
    acc = compute_counts(
        practice_ids, events_through=targets[0], completions_through=targets[1], deviations_through=targets[2]
    )
    UptakeCount.objects.filter(practice_id__in=practice_ids).delete()
    UptakeTotal.objects.filter(practice_id__in=practice_ids).delete()
    UptakeCount.objects.bulk_create(
        (
            UptakeCount(
                property=prop, practice_id=practice_id, module_id=module_id, role=role, day=day,
                previous_day=previous, value=value, first_at=first_at,
            )
            for (prop, practice_id, module_id, role, day, previous), (value, first_at) in acc.items()
        ),
        batch_size=BULK_BATCH,
    )
    UptakeTotal.objects.bulk_create(
        (
            UptakeTotal(
                practice_id=practice_id, module_id=module_id, accesses=unit.accesses, learners=unit.learners,
                completers=unit.completers, deviations=unit.deviations, first_access_at=unit.first_access_at,
                first_completion_at=unit.first_completion_at, accesses_by_role=dict(sorted(unit.accesses_by_role.items())),
                learners_by_role=dict(sorted(unit.learners_by_role.items())),
                completers_by_role=dict(sorted(unit.completers_by_role.items())),
            )
            for (practice_id, module_id), unit in totals_from_counts(acc).items()
        ),
        batch_size=BULK_BATCH,
    )


# --- The fill -------------------------------------------------------------------------------------------------


def _writers_in_progress() -> list[tuple[int, str]]:
    """Return (pid, xid) of other transactions in this database that hold a transaction id (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid, backend_xid::text FROM pg_stat_activity "
            "WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()"
        )
        return [(pid, xid) for pid, xid in cursor.fetchall()]


def _high_water(*, wait_seconds: float = WRITERS_WAIT_SECONDS) -> tuple[tuple[int, int, int], bool]:
    """Return the newest ids of the three tables below which every row is committed, and whether it waited.

    On PostgreSQL a transaction can take an id and commit after another takes and commits a larger
    one. Any such transaction still open when the maxima are read holds a transaction id now, so
    waiting for those to end makes every id up to the maxima final. SQLite has one writer at a time.
    """
    highs = tuple(
        model.objects.aggregate(high=Max("id"))["high"] or 0
        for model in (LearningEvent, ModuleCompletion, ProtocolDeviation)
    )
    if connection.vendor != "postgresql":
        return highs, False  # type: ignore[return-value]
    pending = set(_writers_in_progress())
    waited = bool(pending)
    deadline = time.monotonic() + wait_seconds
    while pending:
        if time.monotonic() > deadline:
            raise FillBusy(f"{len(pending)} transaction(s) writing to the database did not finish in {wait_seconds} s.")
        time.sleep(0.02)
        pending &= set(_writers_in_progress())
    return highs, waited  # type: ignore[return-value]


def _chunks(ids: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def _touched_practice_ids(state: FillState) -> list[int]:
    """Return the practices with a row between the watermarks and the targets, not yet refilled, in id order."""
    done = state.practices_done_through or 0
    touched: set[int] = set()
    for model, through, target in (
        (LearningEvent, state.events_through, state.target_events),
        (ModuleCompletion, state.completions_through, state.target_completions),
        (ProtocolDeviation, state.deviations_through, state.target_deviations),
    ):
        touched.update(
            model.objects.filter(id__gt=through, id__lte=target, practice_id__gt=done)
            .values_list("practice_id", flat=True).distinct().order_by()
        )
    return sorted(touched)


def _locked_state() -> FillState:
    FillState.objects.get_or_create(name=FILL_NAME)
    return FillState.objects.select_for_update().get(name=FILL_NAME)


def fill_uptake_rollups(*, chunk_practices: int = DEFAULT_CHUNK_PRACTICES) -> FillResult:
    """Bring the uptake rollups up to every committed event, completion and deviation; resume a stopped fill."""
    if chunk_practices < 1:
        raise ValueError("chunk_practices must be at least 1.")
    # Read before taking the state's lock, so waiting for writers never waits on another fill.
    (target_events, target_completions, target_deviations), waited = _high_water()
    with transaction.atomic():
        state = _locked_state()
        if state.status == FillStatus.IDLE:
            state.target_events, state.target_completions, state.target_deviations = (
                target_events, target_completions, target_deviations,
            )
            state.practices_done_through = None
            state.status = FillStatus.FILLING
            state.started_at = timezone.now()
            state.last_error = ""
            state.save()
        elif state.status == FillStatus.FAILED:
            # Resume the stopped fill with its own targets; the practices it refilled stay done.
            state.status = FillStatus.FILLING
            state.save(update_fields=["status"])
        targets = (state.target_events, state.target_completions, state.target_deviations)
    refilled = 0
    try:
        touched = _touched_practice_ids(state)
        for chunk in _chunks(touched, chunk_practices):
            with transaction.atomic():
                state = _locked_state()
                if state.status == FillStatus.IDLE or (
                    state.target_events, state.target_completions, state.target_deviations
                ) != targets:
                    break  # Another run finished this fill meanwhile.
                chunk = [pk for pk in chunk if pk > (state.practices_done_through or 0)]
                if not chunk:
                    continue
                _refill(chunk, targets=targets)
                state.practices_done_through = chunk[-1]
                state.save(update_fields=["practices_done_through"])
                refilled += len(chunk)
        with transaction.atomic():
            state = _locked_state()
            if state.status != FillStatus.IDLE and (
                state.target_events, state.target_completions, state.target_deviations
            ) == targets:
                # Practices that chose deletion keep no derived rows either.
                purged = Practice.objects.filter(
                    withdrawn_on__isnull=False, withdrawal_data_choice=WithdrawalDataChoice.DELETE
                ).values("pk")
                UptakeCount.objects.filter(practice_id__in=purged).delete()
                UptakeTotal.objects.filter(practice_id__in=purged).delete()
                state.events_through, state.completions_through, state.deviations_through = targets
                state.target_events = state.target_completions = state.target_deviations = None
                state.practices_done_through = None
                state.status = FillStatus.IDLE
                state.finished_at = timezone.now()
                state.last_error = ""
                state.save()
    except Exception as error:
        with transaction.atomic():
            state = _locked_state()
            if state.status == FillStatus.FILLING:
                state.status = FillStatus.FAILED
                state.last_error = f"{type(error).__name__}: {error}"
                state.save(update_fields=["status", "last_error"])
        raise
    return FillResult(
        practices_refilled=refilled, events_through=targets[0], completions_through=targets[1],
        deviations_through=targets[2], waited_for_writers=waited,
    )


def fill_state() -> FillState | None:
    """Return the uptake fill's state, or None if it never ran."""
    return FillState.objects.filter(name=FILL_NAME).first()


def reset_uptake_rollups() -> None:
    """Set the watermarks back to zero so the next fill refills every practice from all its rows.

    The old rows stay readable meanwhile: until the fill has passed a practice, the whole registry
    is in the tail and answered from the raw events.
    """
    with transaction.atomic():
        state = _locked_state()
        state.events_through = state.completions_through = state.deviations_through = 0
        state.target_events = state.target_completions = state.target_deviations = None
        state.practices_done_through = None
        state.status = FillStatus.IDLE
        state.save()


# --- Withdrawn practices that kept their data ------------------------------------------------------------


def _or(clauses: list[Q]) -> Q:
    combined = Q()
    for clause in clauses:
        combined |= clause
    return combined


def withdrawn_figures(
    practices: list[Practice], *, module_ids: Iterable[int], start: date | None, end: date | None
) -> dict[tuple[int, int], UnitFigures]:
    """Return the figures of withdrawn practices (data retained) from the rollups, cut at their withdrawal.

    Nothing dated from 00:00 UK time on the withdrawal date counts (measures.collection_ends_at). In
    winter that is a UTC midnight and the daily rows end there exactly. In summer it is 23:00 UTC
    the day before: the rows are read up to the end of that day, and the learners, visits and
    completers whose only activity in the period fell in its last hour, and the deviations of that
    hour, are taken off again, from the raw rows of that hour (few queries, few rows).
    """
    module_ids = list(module_ids)
    start_at = utc_midnight_of(start)
    period_end = utc_midnight_of(end)
    cuts: dict[int, tuple[datetime, date, datetime | None]] = {}
    for practice in practices:
        cut = collection_ends_at(practice.withdrawn_on).astimezone(UTC)
        ends_at = cut if period_end is None else min(cut, period_end)
        if start_at is not None and ends_at <= start_at:
            continue  # Withdrawn before the period: nothing counts.
        midnight = ends_at.replace(hour=0, minute=0, second=0, microsecond=0)
        if ends_at == midnight:
            cuts[practice.pk] = (ends_at, ends_at.date(), None)
        else:
            # Read the whole day, then take off its part from ends_at to midnight.
            cuts[practice.pk] = (ends_at, (midnight + timedelta(days=1)).date(), ends_at)
    figures: dict[tuple[int, int], UnitFigures] = {}
    if not cuts or not module_ids:
        return figures

    # Practices sharing a last day (withdrawal dates repeat) share one condition, and the database sums.
    by_last_day: dict[date, list[int]] = defaultdict(list)
    for practice_id, (_ends_at, last_day, _excess) in cuts.items():
        by_last_day[last_day].append(practice_id)
    counts = UptakeCount.objects.filter(
        _or([Q(practice_id__in=ids, day__lt=last_day) for last_day, ids in by_last_day.items()]),
        module_id__in=module_ids,
    )
    if start is not None:
        counts = counts.filter(Q(day__gte=start), Q(previous_day__isnull=True) | Q(previous_day__lt=start))
    else:
        counts = counts.filter(previous_day__isnull=True)
    for practice_id, module_id, prop, role, value, first_at in (
        counts.values_list("practice_id", "module_id", "property", "role")
        .annotate(value=Sum("value"), first=Min("first_at"))
        .order_by()
        .values_list("practice_id", "module_id", "property", "role", "value", "first")
    ):
        _add(figures.setdefault((practice_id, module_id), UnitFigures()), prop, role, value, first_at)

    partial = {pk: (ends_at, next_midnight(ends_at)) for pk, (ends_at, _, excess) in cuts.items() if excess}
    if partial:
        _take_off_last_hours(figures, partial, module_ids=module_ids, start_at=start_at)
    for unit in figures.values():
        for counts_by_role in (unit.accesses_by_role, unit.learners_by_role, unit.completers_by_role):
            for role in [role for role, n in counts_by_role.items() if n == 0]:
                del counts_by_role[role]
    return figures


def utc_midnight_of(day: date | None) -> datetime | None:
    return None if day is None else datetime(day.year, day.month, day.day, tzinfo=UTC)


def next_midnight(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def _take_off_last_hours(
    figures: dict[tuple[int, int], UnitFigures], partial: dict[int, tuple[datetime, datetime]], *,
    module_ids: list[int], start_at: datetime | None,
) -> None:
    """Take off what the daily rows counted from each practice's cut-off to the next UTC midnight."""
    in_excess = _or([
        Q(practice_id=pk, occurred_at__gte=cut, occurred_at__lt=midnight) for pk, (cut, midnight) in partial.items()
    ])
    excess_views = list(
        LearningEvent.objects.views().filter(in_excess, module_id__in=module_ids)
        .values_list("practice_id", "module_id", "role", "user_id", "visit_number").distinct().order_by()
    )
    if excess_views:
        users: dict[int, set[int]] = defaultdict(set)
        for practice_id, _module_id, _role, user_id, _visit in excess_views:
            users[practice_id].add(user_id)
        before = _or([
            Q(practice_id=pk, user_id__in=users[pk], occurred_at__lt=partial[pk][0],
              **({"occurred_at__gte": start_at} if start_at is not None else {}))
            for pk in users
        ])
        earlier = set(
            LearningEvent.objects.views().filter(before, module_id__in=module_ids)
            .values_list("practice_id", "module_id", "role", "user_id", "visit_number").distinct().order_by()
        )
        earlier_learners = {(p, m, u) for p, m, _r, u, _v in earlier}
        earlier_in_role = {(p, m, r, u) for p, m, r, u, _v in earlier}
        earlier_visits = {(p, m, u, v) for p, m, _r, u, v in earlier}
        earlier_visits_in_role = set(earlier)
        learners_off: set[tuple] = set()
        in_role_off: set[tuple] = set()
        visits_off: set[tuple] = set()
        visits_in_role_off: set[tuple] = set()
        for p, m, r, u, v in excess_views:
            if (p, m, u) not in earlier_learners:
                learners_off.add((p, m, u))
            if (p, m, r, u) not in earlier_in_role:
                in_role_off.add((p, m, r, u))
            if (p, m, u, v) not in earlier_visits:
                visits_off.add((p, m, u, v))
            if (p, m, r, u, v) not in earlier_visits_in_role:
                visits_in_role_off.add((p, m, r, u, v))
        for p, m, _u in learners_off:
            figures[(p, m)].learners -= 1
        for p, m, r, _u in in_role_off:
            figures[(p, m)].learners_by_role[r] -= 1
        for p, m, _u, _v in visits_off:
            figures[(p, m)].accesses -= 1
        for p, m, r, _u, _v in visits_in_role_off:
            figures[(p, m)].accesses_by_role[r] -= 1

    in_excess_completions = _or([
        Q(practice_id=pk, completed_at__gte=cut, completed_at__lt=midnight) for pk, (cut, midnight) in partial.items()
    ])
    excess_completions: dict[tuple[int, int, int], str] = {}
    for practice_id, module_id, user_id, role in (
        ModuleCompletion.objects.filter(in_excess_completions, module_id__in=module_ids)
        .order_by("completed_at", "id").values_list("practice_id", "module_id", "user_id", "role")
    ):
        excess_completions.setdefault((practice_id, module_id, user_id), role)
    if excess_completions:
        completers: dict[int, set[int]] = defaultdict(set)
        for practice_id, _module_id, user_id in excess_completions:
            completers[practice_id].add(user_id)
        before = _or([
            Q(practice_id=pk, user_id__in=completers[pk], completed_at__lt=partial[pk][0],
              **({"completed_at__gte": start_at} if start_at is not None else {}))
            for pk in completers
        ])
        earlier_completers = set(
            ModuleCompletion.objects.filter(before, module_id__in=module_ids)
            .values_list("practice_id", "module_id", "user_id").distinct().order_by()
        )
        for key, role in excess_completions.items():
            if key not in earlier_completers:
                unit = figures[key[:2]]
                unit.completers -= 1
                unit.completers_by_role[role] -= 1

    for practice_id, module_id, n in (
        ProtocolDeviation.objects.filter(
            _or([Q(practice_id=pk, occurred_at__gte=cut, occurred_at__lt=midnight)
                 for pk, (cut, midnight) in partial.items()]),
            module_id__in=module_ids,
        ).values_list("practice_id", "module_id").annotate(n=Count("id")).order_by()
        .values_list("practice_id", "module_id", "n")
    ):
        figures[(practice_id, module_id)].deviations -= n

    # A first access or completion at or after the cut-off means none before it in the period.
    for (practice_id, _module_id), unit in figures.items():
        if practice_id in partial:
            cut = partial[practice_id][0]
            if unit.first_access_at is not None and unit.first_access_at >= cut:
                unit.first_access_at = None
            if unit.first_completion_at is not None and unit.first_completion_at >= cut:
                unit.first_completion_at = None

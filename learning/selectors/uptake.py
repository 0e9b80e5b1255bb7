"""Uptake per practice and per arm: the trial's access and completion figures, read from the records.

The measures themselves (what a visit, engagement and completion are) live in learning.measures;
this module counts them. Every reader of uptake (the `uptake_report` command, dashboards, the
research API) calls `uptake_report()` or its parts, so they can never disagree. docs/measures.md
describes each figure for the trial team. The figures come from the rollups (learning.rollups) with
the raw tail; `source="raw"` counts everything from the events, and the two must always agree.

Rules, in one place:
- Times are UTC. A date parameter (start, end, randomisation) means 00:00 UTC on that date.
- The period is [start, end): start inclusive, end exclusive; either may be open.
- Events and completions carry the learner's practice and role at the moment they happened, so a
  learner who moves practice counts for each practice with what they did while a member there.
- Accesses: distinct (learner, visit number) pairs among the practice's page-view events in the
  module within the period. A visit that straddles the period's edge counts once if any of its
  views falls inside.
- Completers: distinct learners with a completion for that practice and module in the period; each
  is counted once in completers_by_role, under their role at their first completion in the period.
- By role: accesses_by_role and learners_by_role group the same view events by the role each event
  recorded (the learner's role at that moment, the access log's role column). A learner whose role
  changed within the period counts under each role they viewed the module in, and a visit whose
  views carry two roles counts under both, so these may add up to more than accesses and learners;
  they never count anything the totals do not.
- Window: an event is within the window if it happened before randomisation date + window_weeks
  (00:00 UTC). With no randomisation date (not in trial) the window flags are None.
- Protocol deviations (control-arm attempts) are never accesses; they are reported separately.
- Modules: every live module and every module with any recorded activity (page views, answers,
  downloads, completions, protocol deviations), whether it is live, unpublished or retired, so
  unpublishing or retiring a module never changes a figure; the report's `modules` list and the
  CSV's `module_status` column say which.
- Withdrawn practices keep their rows; nothing is recorded from their withdrawal date (UK
  midnight, measures.collection_ends_at), and nothing dated from then on is counted either, so a
  withdrawal entered in the registry after the fact also removes what was recorded in between
  (page views, completions and protocol deviations alike). Data of a practice that chose
  deletion is gone once purged, so it counts as zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from modules.models import ModuleKind, ModulePage
from practices.models import Arm, Practice

from ..measures import (
    DEFAULT_WINDOW_WEEKS,
    MAX_WINDOW_WEEKS,
    collection_ends_at,
    days_from_randomisation,
    utc_midnight,
    window_ends_at,
    within_window,
)
from ..models import KnowledgeCheckAttempt, LearningEvent, ModuleCompletion, ProtocolDeviation
from ..rollups import UnitFigures, answered_raw, rollup_figures, tail_q, withdrawn_figures

# Arms in the order reports list them.
ARM_ORDER = (Arm.IMPLEMENTATION, Arm.CONTROL, Arm.NOT_IN_TRIAL)
# Module kinds in the order reports list them (the model's declaration order, not alphabetical).
KIND_ORDER = tuple(ModuleKind.values)
SHARE_PLACES = Decimal("0.0001")
SPREAD_PLACES = Decimal("0.01")


def iso_utc(moment: datetime | None) -> str | None:
    """Return an aware datetime as ISO 8601 in UTC with a trailing Z, or None."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class ModuleStatus:
    """Where a reported module stands now; its figures are counted the same whatever the status."""

    LIVE = "live"
    UNPUBLISHED = "unpublished"
    RETIRED = "retired"


def module_status(module: ModulePage) -> str:
    """Return whether the module is live, unpublished, or retired (retirement wins: a retired module is never live)."""
    if module.retired_at is not None:
        return ModuleStatus.RETIRED
    return ModuleStatus.LIVE if module.live else ModuleStatus.UNPUBLISHED


@dataclass(frozen=True)
class ReportModule:
    """A module the report covers: its slug, kind and status now (live, unpublished or retired)."""

    slug: str
    kind: str
    title: str
    status: str
    retired_at: datetime | None = None

    @classmethod
    def of(cls, module: ModulePage) -> ReportModule:
        return cls(
            slug=module.slug, kind=module.kind, title=module.title, status=module_status(module),
            retired_at=module.retired_at,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug, "kind": self.kind, "title": self.title, "status": self.status,
            "retired_at": iso_utc(self.retired_at),
        }


@dataclass(frozen=True)
class ModuleUptake:
    """One practice's figures for one module."""

    slug: str
    kind: str
    accesses: int = 0
    learners: int = 0
    completers: int = 0
    completers_by_role: dict[str, int] = field(default_factory=dict)
    accesses_by_role: dict[str, int] = field(default_factory=dict)
    learners_by_role: dict[str, int] = field(default_factory=dict)
    first_access_at: datetime | None = None
    first_completion_at: datetime | None = None
    first_access_days_from_randomisation: int | None = None
    first_completion_days_from_randomisation: int | None = None
    accessed_within_window: bool | None = None
    completed_within_window: bool | None = None
    protocol_deviations: int = 0

    @property
    def practice_completed(self) -> bool:
        """Return True if at least one learner of the practice completed the module."""
        return self.completers > 0


@dataclass(frozen=True)
class PracticeUptake:
    """One practice's identity in the trial and its figures per module (keyed by module slug)."""

    trial_id: str | None
    ods_code: str
    arm: str
    randomised_on: date | None
    withdrawn_on: date | None
    modules: dict[str, ModuleUptake]


@dataclass(frozen=True)
class Spread:
    """Median, quartiles (inclusive method) and range of one figure across an arm's practices."""

    median: Decimal
    q1: Decimal
    q3: Decimal
    min: int
    max: int


@dataclass(frozen=True)
class FlagCount:
    """How many of an arm's practices meet a flag, and their share (0-1, four decimals)."""

    count: int | None
    share: Decimal | None


@dataclass(frozen=True)
class ArmModuleSummary:
    """An arm's spread of per-practice figures for one module, and its flag counts."""

    slug: str
    kind: str
    accesses: Spread
    learners: Spread
    completers: Spread
    practice_completed: FlagCount
    completed_within_window: FlagCount


@dataclass(frozen=True)
class ArmSummary:
    """One arm: its number of practices and its summary per module (keyed by module slug)."""

    arm: str
    practices: int
    modules: dict[str, ArmModuleSummary]


@dataclass(frozen=True)
class UptakeReport:
    """The whole uptake report: parameters, per-practice rows and per-arm summaries."""

    generated_at: datetime
    start: date | None
    end: date | None
    window_weeks: int
    practices: list[PracticeUptake]
    arms: list[ArmSummary]
    modules: list[ReportModule] = field(default_factory=list)

    def module_statuses(self) -> dict[str, str]:
        """Return each reported module's status by slug."""
        return {module.slug: module.status for module in self.modules}

    def as_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (the schema in docs/measures.md)."""
        return {
            "generated_at": iso_utc(self.generated_at),
            "parameters": {
                "start": _iso_date(self.start),
                "end": _iso_date(self.end),
                "window_weeks": self.window_weeks,
            },
            "modules": [module.as_dict() for module in self.modules],
            "practices": [practice_as_dict(row) for row in self.practices],
            "arms": [arm_as_dict(row) for row in self.arms],
        }


def _iso_date(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _number(value: Decimal | None) -> float | None:
    # Spreads are exact multiples of 0.25 and shares are already rounded, so float is exact enough
    # for JSON and keeps numbers as numbers.
    return None if value is None else float(value)


def practice_as_dict(row: PracticeUptake) -> dict[str, Any]:
    """Return one practice row as JSON-ready data."""
    return {
        "trial_id": row.trial_id,
        "ods_code": row.ods_code,
        "arm": row.arm,
        "randomised_on": _iso_date(row.randomised_on),
        "withdrawn_on": _iso_date(row.withdrawn_on),
        "modules": {
            slug: {
                "kind": m.kind,
                "accesses": m.accesses,
                "learners": m.learners,
                "completers": m.completers,
                "completers_by_role": dict(m.completers_by_role),
                "accesses_by_role": dict(m.accesses_by_role),
                "learners_by_role": dict(m.learners_by_role),
                "first_access_at": iso_utc(m.first_access_at),
                "first_completion_at": iso_utc(m.first_completion_at),
                "first_access_days_from_randomisation": m.first_access_days_from_randomisation,
                "first_completion_days_from_randomisation": m.first_completion_days_from_randomisation,
                "accessed_within_window": m.accessed_within_window,
                "practice_completed": m.practice_completed,
                "completed_within_window": m.completed_within_window,
                "protocol_deviations": m.protocol_deviations,
            }
            for slug, m in row.modules.items()
        },
    }


def _spread_as_dict(spread: Spread) -> dict[str, Any]:
    return {
        "median": _number(spread.median),
        "q1": _number(spread.q1),
        "q3": _number(spread.q3),
        "min": spread.min,
        "max": spread.max,
    }


def _flag_as_dict(flag: FlagCount) -> dict[str, Any]:
    return {"count": flag.count, "share": _number(flag.share)}


def arm_as_dict(row: ArmSummary) -> dict[str, Any]:
    """Return one arm summary as JSON-ready data."""
    return {
        "arm": row.arm,
        "practices": row.practices,
        "modules": {
            slug: {
                "kind": m.kind,
                "accesses": _spread_as_dict(m.accesses),
                "learners": _spread_as_dict(m.learners),
                "completers": _spread_as_dict(m.completers),
                "practice_completed": _flag_as_dict(m.practice_completed),
                "completed_within_window": _flag_as_dict(m.completed_within_window),
            }
            for slug, m in row.modules.items()
        },
    }


def report_modules() -> list[ModulePage]:
    """Return the modules a report covers, by kind (team, in-depth, other) then slug (one query).

    Every live module, and every module with recorded activity whatever its state now (unpublished
    or retired), so publishing decisions never change the trial's figures.
    """
    kind_rank = Case(
        *[When(kind=kind, then=Value(rank)) for rank, kind in enumerate(KIND_ORDER)],
        default=Value(len(KIND_ORDER)),
        output_field=IntegerField(),
    )
    recorded = Q()
    for model in (LearningEvent, KnowledgeCheckAttempt, ModuleCompletion, ProtocolDeviation):
        recorded |= Exists(model.objects.filter(module_id=OuterRef("pk")))
    return list(
        ModulePage.objects.filter(Q(live=True) | recorded).annotate(kind_rank=kind_rank).order_by("kind_rank", "slug")
    )


def _between(qs, field_name: str, start: datetime | None, end: datetime | None):
    if start is not None:
        qs = qs.filter(**{f"{field_name}__gte": start})
    if end is not None:
        qs = qs.filter(**{f"{field_name}__lt": end})
    return qs


def _collected_before_withdrawal(practices: list[Practice]):
    """Return a function giving, for a time field, the Q of rows dated after their practice withdrew."""
    cuts = [(p.pk, collection_ends_at(p.withdrawn_on)) for p in practices if p.withdrawn_on is not None]

    def after_withdrawal(field: str) -> Q:
        # With no withdrawn practice this stays an empty Q, and excluding it excludes nothing.
        after = Q()
        for practice_id, cut in cuts:
            after |= Q(practice_id=practice_id, **{f"{field}__gte": cut})
        return after

    return after_withdrawal


# The practice fields a report reads (the rest, names included, stay in the database).
REPORT_PRACTICE_FIELDS = (
    "id", "trial_id", "ods_code", "arm", "randomised_on", "withdrawn_on", "withdrawal_data_choice",
)


class Source:
    """Where practice_uptake reads: the rollups with the raw tail (the default), or the raw events only."""

    ROLLUPS = "rollups"
    RAW = "raw"


def practice_uptake(
    *,
    start: date | None = None,
    end: date | None = None,
    window_weeks: int = DEFAULT_WINDOW_WEEKS,
    practices: Iterable[Practice] | None = None,
    modules: list[ModulePage] | None = None,
    source: str = Source.ROLLUPS,
) -> list[PracticeUptake]:
    """Return each practice's figures per reported module (report_modules) for the period, in a fixed number of queries.

    Practices default to the whole registry (every arm), ordered by trial ID (practices without one
    last) then ODS code; every practice gets a row for every module, zeros included. With the
    rollups (learning.rollups), practices with anything newer than the fill's watermarks, and
    withdrawn practices, are read from the raw events; `source="raw"` reads every practice raw
    (verify_rollups and the tests compare the two).
    """
    if not 0 <= window_weeks <= MAX_WINDOW_WEEKS:
        raise ValueError(f"window_weeks must be from 0 to {MAX_WINDOW_WEEKS}.")
    if start is not None and end is not None and start >= end:
        raise ValueError("start must be before end.")
    if source not in (Source.ROLLUPS, Source.RAW):
        raise ValueError(f"source must be {Source.ROLLUPS!r} or {Source.RAW!r}.")
    modules = report_modules() if modules is None else modules
    module_ids = [m.pk for m in modules]
    if practices is None:
        ordered = Practice.objects.order_by(F("trial_id").asc(nulls_last=True), "ods_code").only(*REPORT_PRACTICE_FIELDS)
        if source == Source.RAW:
            practice_list = list(ordered)
            in_tail: set[int] = set()
        else:
            # The tail rides on the practice query: one query either way.
            practice_list = list(ordered.annotate(in_tail=ExpressionWrapper(tail_q(), output_field=BooleanField())))
            in_tail = {p.pk for p in practice_list if p.in_tail}
        explicit = False
    else:
        practice_list = sorted(practices, key=lambda p: (p.trial_id is None, p.trial_id or "", p.ods_code))
        explicit = True
        in_tail = set()
        if source == Source.ROLLUPS and practice_list:
            in_tail = set(Practice.objects.filter(tail_q()).values_list("pk", flat=True))
    if source == Source.RAW:
        figures = _raw_figures(practice_list, explicit=explicit, module_ids=module_ids, start=start, end=end)
    else:
        raw_list = [p for p in practice_list if answered_raw(p, in_tail=p.pk in in_tail)]
        raw_ids = {p.pk for p in raw_list}
        withdrawn = [p for p in practice_list if p.withdrawn_on is not None and p.pk not in raw_ids]
        figures = rollup_figures(
            practice_ids={p.pk for p in practice_list} - raw_ids - {p.pk for p in withdrawn}, module_ids=module_ids,
            start=start, end=end,
        )
        if withdrawn:
            figures.update(withdrawn_figures(withdrawn, module_ids=module_ids, start=start, end=end))
        if raw_list:
            figures.update(_raw_figures(raw_list, explicit=True, module_ids=module_ids, start=start, end=end))
    return _practice_rows(practice_list, modules, figures, window_weeks=window_weeks)


def _raw_figures(
    practice_list: list[Practice], *, explicit: bool, module_ids: list[int], start: date | None, end: date | None
) -> dict[tuple[int, int], UnitFigures]:
    """Return each (practice, module)'s figures for the period counted from the raw events (four queries)."""
    start_at = utc_midnight(start) if start else None
    end_at = utc_midnight(end) if end else None
    practice_filter: dict[str, Any] = {"practice_id__in": [p.pk for p in practice_list]} if explicit else {}
    collected = _collected_before_withdrawal(practice_list)
    figures: dict[tuple[int, int], UnitFigures] = defaultdict(UnitFigures)

    # One GROUP BY (practice, module) over view events: visits, learners and first access.
    visit_key = Concat(
        Cast("user_id", CharField()), Value(":"), Cast("visit_number", CharField()), output_field=CharField()
    )
    views = _between(LearningEvent.objects.views(), "occurred_at", start_at, end_at).filter(
        module_id__in=module_ids, **practice_filter
    ).exclude(collected("occurred_at"))
    for row in (
        views.values("practice_id", "module_id")
        .annotate(
            accesses=Count(visit_key, distinct=True),
            learners=Count("user_id", distinct=True),
            first_access_at=Min("occurred_at"),
        )
        .order_by()
    ):
        unit = figures[(row["practice_id"], row["module_id"])]
        unit.accesses = row["accesses"]
        unit.learners = row["learners"]
        unit.first_access_at = row["first_access_at"]
    # The same views by the role each recorded (a second GROUP BY: distinct counts do not add up).
    for row in (
        views.values("practice_id", "module_id", "role")
        .annotate(accesses=Count(visit_key, distinct=True), learners=Count("user_id", distinct=True))
        .order_by()
    ):
        unit = figures[(row["practice_id"], row["module_id"])]
        unit.accesses_by_role[row["role"]] = row["accesses"]
        unit.learners_by_role[row["role"]] = row["learners"]

    # Each learner's first completion in the period per (practice, module), grouped by its role.
    period_completions = _between(ModuleCompletion.objects.all(), "completed_at", start_at, end_at).filter(
        module_id__in=module_ids, **practice_filter
    ).exclude(collected("completed_at"))
    first_completion_id = (
        period_completions.filter(
            user_id=OuterRef("user_id"), practice_id=OuterRef("practice_id"), module_id=OuterRef("module_id")
        )
        .order_by("completed_at", "id")
        .values("id")[:1]
    )
    for row in (
        period_completions.filter(id=Subquery(first_completion_id))
        .values("practice_id", "module_id", "role")
        .annotate(completers=Count("user_id", distinct=True), first_completion_at=Min("completed_at"))
        .order_by()
    ):
        unit = figures[(row["practice_id"], row["module_id"])]
        unit.completers += row["completers"]
        unit.completers_by_role[row["role"]] = row["completers"]
        first = unit.first_completion_at
        if first is None or row["first_completion_at"] < first:
            unit.first_completion_at = row["first_completion_at"]

    deviations = _between(ProtocolDeviation.objects.all(), "occurred_at", start_at, end_at).filter(
        module_id__in=module_ids, **practice_filter
    ).exclude(collected("occurred_at"))
    for row in deviations.values("practice_id", "module_id").annotate(n=Count("id")).order_by():
        figures[(row["practice_id"], row["module_id"])].deviations = row["n"]
    return dict(figures)


# Role sets seen, in role order: thousands of practices share a handful of role sets, so each set
# is sorted once per process rather than once per practice and module (bounded by the role choices).
_ROLE_ORDERS: dict[tuple[str, ...], tuple[str, ...]] = {}


def _by_role(counts: dict[str, int]) -> dict[str, int]:
    """Return role counts ordered by role."""
    if len(counts) < 2:
        return dict(counts)
    roles = tuple(counts)
    order = _ROLE_ORDERS.get(roles)
    if order is None:
        order = tuple(sorted(roles))
        if len(_ROLE_ORDERS) < 4096:
            _ROLE_ORDERS[roles] = order
    return {role: counts[role] for role in order}


def _practice_rows(
    practice_list: list[Practice], modules: list[ModulePage], figures: dict[tuple[int, int], UnitFigures],
    *, window_weeks: int,
) -> list[PracticeUptake]:
    """Return the report's practice rows from each (practice, module)'s figures, with the window applied."""
    result = []
    # Most practices have nothing in some module: one frozen zero row per module and window case.
    zeros: dict[tuple[int, bool], ModuleUptake] = {}
    for practice in practice_list:
        window_end = window_ends_at(practice.randomised_on, weeks=window_weeks)
        per_module = {}
        for module in modules:
            unit = figures.get((practice.pk, module.pk))
            if unit is None:
                zero_key = (module.pk, window_end is None)
                if zero_key not in zeros:
                    zeros[zero_key] = ModuleUptake(
                        slug=module.slug, kind=module.kind,
                        accessed_within_window=within_window(window_end, None),
                        completed_within_window=within_window(window_end, None),
                    )
                per_module[module.slug] = zeros[zero_key]
                continue
            first_access_at = unit.first_access_at
            first_completion_at = unit.first_completion_at
            per_module[module.slug] = ModuleUptake(
                slug=module.slug,
                kind=module.kind,
                accesses=unit.accesses,
                learners=unit.learners,
                completers=unit.completers,
                completers_by_role=_by_role(unit.completers_by_role),
                accesses_by_role=_by_role(unit.accesses_by_role),
                learners_by_role=_by_role(unit.learners_by_role),
                first_access_at=first_access_at,
                first_completion_at=first_completion_at,
                first_access_days_from_randomisation=days_from_randomisation(practice.randomised_on, first_access_at),
                first_completion_days_from_randomisation=days_from_randomisation(
                    practice.randomised_on, first_completion_at
                ),
                accessed_within_window=within_window(window_end, first_access_at),
                completed_within_window=within_window(window_end, first_completion_at),
                protocol_deviations=unit.deviations,
            )
        result.append(
            PracticeUptake(
                trial_id=practice.trial_id,
                ods_code=practice.ods_code,
                arm=practice.arm,
                randomised_on=practice.randomised_on,
                withdrawn_on=practice.withdrawn_on,
                modules=per_module,
            )
        )
    return result


def spread(values: list[int]) -> Spread:
    """Return the median, quartiles and range of per-practice figures.

    Quartiles use statistics.quantiles(method="inclusive") (linear interpolation between order
    statistics, as R's type 7 and Excel's QUARTILE.INC); with fewer than two values q1 = q3 = median.
    Computed on exact fractions, so the results (multiples of 0.25) are exact before rounding.
    """
    if not values:
        raise ValueError("A spread needs at least one value.")
    ordered = sorted(values)
    last = len(ordered) - 1

    def quartile(k: int) -> Fraction:
        # statistics.quantiles(n=4, method="inclusive")'s interpolation at position k/4 * (n - 1),
        # on integers (sorting thousands of Fractions is what made a national report slow).
        j, delta = divmod(k * last, 4)
        if delta == 0:
            return Fraction(ordered[j])
        return Fraction(ordered[j] * (4 - delta) + ordered[j + 1] * delta, 4)

    # The inclusive method's middle quartile is the median (the mean of the middle two when even).
    return Spread(
        median=_decimal(quartile(2)), q1=_decimal(quartile(1)), q3=_decimal(quartile(3)), min=ordered[0],
        max=ordered[-1],
    )


def _decimal(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(SPREAD_PLACES, rounding=ROUND_HALF_UP)


def _share(count: int, total: int) -> Decimal:
    return (Decimal(count) / Decimal(total)).quantize(SHARE_PLACES, rounding=ROUND_HALF_UP)


def _flag_count(flags: list[bool | None]) -> FlagCount:
    """Count true flags; the share's denominator is the practices where the flag applies (not None)."""
    applicable = [flag for flag in flags if flag is not None]
    if not applicable:
        return FlagCount(count=None, share=None)
    count = sum(1 for flag in applicable if flag)
    return FlagCount(count=count, share=_share(count, len(applicable)))


def arm_summary(rows: list[PracticeUptake]) -> list[ArmSummary]:
    """Return per-arm summaries of per-practice rows, for each arm present, in trial order."""
    by_arm: dict[str, list[PracticeUptake]] = defaultdict(list)
    for row in rows:
        by_arm[row.arm].append(row)
    arms = [arm for arm in ARM_ORDER if arm in by_arm] + sorted(set(by_arm) - set(ARM_ORDER))
    summaries = []
    for arm in arms:
        members = by_arm[arm]
        modules: dict[str, ArmModuleSummary] = {}
        for slug, first in members[0].modules.items():
            figures = [member.modules[slug] for member in members]
            modules[slug] = ArmModuleSummary(
                slug=slug,
                kind=first.kind,
                accesses=spread([f.accesses for f in figures]),
                learners=spread([f.learners for f in figures]),
                completers=spread([f.completers for f in figures]),
                practice_completed=_flag_count([f.practice_completed for f in figures]),
                completed_within_window=_flag_count([f.completed_within_window for f in figures]),
            )
        summaries.append(ArmSummary(arm=arm, practices=len(members), modules=modules))
    return summaries


def uptake_report(
    *,
    start: date | None = None,
    end: date | None = None,
    window_weeks: int = DEFAULT_WINDOW_WEEKS,
    practices: Iterable[Practice] | None = None,
    source: str = Source.ROLLUPS,
) -> UptakeReport:
    """Return the uptake report for the period: every practice's figures and each arm's summary."""
    modules = report_modules()
    rows = practice_uptake(
        start=start, end=end, window_weeks=window_weeks, practices=practices, modules=modules, source=source
    )
    return UptakeReport(
        generated_at=timezone.now(),
        start=start,
        end=end,
        window_weeks=window_weeks,
        practices=rows,
        arms=arm_summary(rows),
        modules=[ReportModule.of(module) for module in modules],
    )


@dataclass(frozen=True)
class Difference:
    """One figure on which the rollups and the raw events disagree."""

    practice: str
    module: str
    figure: str
    rollups: Any
    raw: Any

    def __str__(self) -> str:
        return f"{self.practice} {self.module} {self.figure}: rollups {self.rollups!r}, raw {self.raw!r}"


def _practice_label(row: PracticeUptake) -> str:
    return f"{row.trial_id} ({row.ods_code})" if row.trial_id else row.ods_code


def rollup_differences(
    *, start: date | None = None, end: date | None = None, window_weeks: int = DEFAULT_WINDOW_WEEKS
) -> list[Difference]:
    """Return every per-practice and per-arm figure on which the rollups' report differs from the raw events'."""
    modules = report_modules()
    from_rollups = practice_uptake(
        start=start, end=end, window_weeks=window_weeks, modules=modules, source=Source.ROLLUPS
    )
    from_raw = practice_uptake(start=start, end=end, window_weeks=window_weeks, modules=modules, source=Source.RAW)
    differences = []
    for rolled, raw in zip(practice_as_rows(from_rollups), practice_as_rows(from_raw), strict=True):
        for key in sorted(set(rolled) | set(raw)):
            if rolled.get(key) != raw.get(key):
                differences.append(Difference(*key, rolled.get(key), raw.get(key)))
    arms_rolled = {row["arm"]: row for row in map(arm_as_dict, arm_summary(from_rollups))}
    arms_raw = {row["arm"]: row for row in map(arm_as_dict, arm_summary(from_raw))}
    for arm in sorted(set(arms_rolled) | set(arms_raw)):
        if arms_rolled.get(arm) != arms_raw.get(arm):
            differences.append(Difference(f"arm {arm}", "", "summary", arms_rolled.get(arm), arms_raw.get(arm)))
    return differences


def practice_as_rows(rows: list[PracticeUptake]) -> list[dict[tuple[str, str, str], Any]]:
    """Return each practice's figures as {(practice, module, figure): value}, for comparing two reports."""
    out = []
    for row in rows:
        label = _practice_label(row)
        flat = {}
        for slug, figures in practice_as_dict(row)["modules"].items():
            for figure, value in figures.items():
                flat[(label, slug, figure)] = value
        out.append(flat)
    return out

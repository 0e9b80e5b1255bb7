"""A learner's own state in modules: progress, answers and status, for the module pages and My modules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db.models import (
    BigIntegerField,
    Case,
    CharField,
    DateTimeField,
    DecimalField,
    F,
    Max,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from core.compiled import CompiledQuery
from modules.models import ModulePage
from modules.structure import ModuleStructure, SectionInfo, module_structure

from ..measures import shown_percent
from ..models import KnowledgeCheckAttempt, ModuleCompletion, ModuleProgress, SectionProgress, SectionStatus


@dataclass
class LearnerModuleState:
    """A learner's progress in one module, for the module and section pages."""

    structure: ModuleStructure
    progress: ModuleProgress | None
    section_status: dict[int, str]
    completion: ModuleCompletion | None

    @property
    def engagement(self) -> Decimal:
        # A row created in this request still holds the field default (int 0), not a Decimal.
        return Decimal(self.progress.engagement_percent) if self.progress else Decimal("0")

    @property
    def resume_section(self) -> SectionInfo | None:
        """Return where the learner left off: their last section, else the first not completed."""
        if self.progress and self.progress.last_section_id:
            last = self.structure.section(self.progress.last_section_id)
            if last is not None and self.section_status.get(last.id) != SectionStatus.COMPLETED:
                return last
        for section in self.structure.sections:
            if self.section_status.get(section.id) != SectionStatus.COMPLETED:
                return section
        return self.structure.sections[0] if self.structure.sections else None


def learner_module_state(
    user, module: ModulePage, *, structure: ModuleStructure | None = None, progress: ModuleProgress | None = None
) -> LearnerModuleState:
    """Return the learner's state in the module with a fixed number of queries.

    Pass the learner's current-cycle progress row when the caller already holds it (as the page
    gate does right after recording a view) to save reading it again.
    """
    structure = structure or module_structure(module)
    if progress is None:
        progress = ModuleProgress.objects.filter(user=user, module=module).order_by("-cycle").first()
    cycle = progress.cycle if progress else 1
    statuses = dict(
        SectionProgress.objects.filter(user=user, module=module, cycle=cycle).values_list("section_id", "status")
    )
    completion = ModuleCompletion.objects.filter(user=user, module=module, cycle=cycle).first()
    return LearnerModuleState(structure=structure, progress=progress, section_status=statuses, completion=completion)


def answered_check_ids(user, module: ModulePage, *, since=None) -> tuple[set[str], set[str]]:
    """Return the ids of checks the learner has answered and answered correctly (this cycle)."""
    attempts = KnowledgeCheckAttempt.objects.filter(user=user, module=module)
    if since is not None:
        attempts = attempts.filter(attempted_at__gte=since)
    answered: set[str] = set()
    correct: set[str] = set()
    for block_id, is_correct in attempts.values_list("block_id", "is_correct"):
        answered.add(block_id)
        if is_correct:
            correct.add(block_id)
    return answered, correct


def latest_attempts(user, *, module_id: int, section_id: int) -> dict[str, KnowledgeCheckAttempt]:
    """Return the learner's latest attempt at each knowledge check in the section (one query)."""
    mine = KnowledgeCheckAttempt.objects.filter(user=user, module_id=module_id, section_id=section_id)
    latest_ids = mine.values("block_id").annotate(last_id=Max("id")).values("last_id")
    return {attempt.block_id: attempt for attempt in KnowledgeCheckAttempt.objects.filter(id__in=Subquery(latest_ids))}


class ModuleStatus:
    """A learner's status in a module, as the pages show it."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


@dataclass(frozen=True)
class ModuleRow:
    """One module on a learner's "My modules" list with their status in it."""

    module: ModulePage
    status: str
    engagement: Decimal
    completed_at: datetime | None
    completed_version: int | None
    resume_url: str = ""

    @property
    def engagement_whole(self) -> int:
        """Return the engagement as pages show it (measures.shown_percent)."""
        return shown_percent(self.engagement)


def module_status(progress: ModuleProgress | None, completion: ModuleCompletion | None) -> str:
    """Return the learner's status from their current-cycle progress and completion, if any."""
    if completion is not None:
        return ModuleStatus.COMPLETED
    if progress is not None:
        return ModuleStatus.IN_PROGRESS
    return ModuleStatus.NOT_STARTED


def latest_per_module(rows) -> dict:
    """Return the highest-cycle row per module id from rows ordered by cycle."""
    latest: dict = {}
    for row in rows:
        latest[row.module_id] = row
    return latest


def learner_module_rows(user, modules: list[ModulePage]) -> list[ModuleRow]:
    """Return the learner's status in each module (two queries, however many modules)."""
    ids = [module.pk for module in modules]
    progress = latest_per_module(ModuleProgress.objects.filter(user=user, module_id__in=ids).order_by("cycle"))
    completions = {
        (c.module_id, c.cycle): c for c in ModuleCompletion.objects.filter(user=user, module_id__in=ids)
    }
    rows = []
    for module in modules:
        row = progress.get(module.pk)
        completion = completions.get((module.pk, row.cycle if row else 1))
        rows.append(
            ModuleRow(
                module=module,
                status=module_status(row, completion),
                engagement=row.engagement_percent if row else Decimal("0"),
                completed_at=completion.completed_at if completion else None,
                completed_version=completion.module_version if completion else None,
            )
        )
    return rows


# --- The learner's state around one section, in one query -------------------------------------------

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class LatestAnswer:
    """The learner's latest attempt at one knowledge check (what the section page shows)."""

    block_id: str
    selected_option_ids: tuple[str, ...]
    is_correct: bool
    attempted_at: datetime


@dataclass
class LearnerSectionState:
    """A learner's state in a module as seen from one of its sections, read in one query."""

    module: LearnerModuleState
    answered: set[str]
    correct: set[str]
    latest: dict[str, LatestAnswer]


def _columns(kind: str, **values) -> dict:
    """Return the annotations of one arm of the state query: the same names, types and order in every arm."""
    typed = {
        "n1": BigIntegerField(), "n2": BigIntegerField(), "n3": BigIntegerField(), "n4": BigIntegerField(),
        "t1": CharField(), "t2": TextField(), "d1": DateTimeField(), "d2": DateTimeField(),
        "dec": DecimalField(max_digits=5, decimal_places=2),
    }
    columns = {"kind": Value(kind, output_field=CharField())}
    for name, output in typed.items():
        value = values.get(name)
        # Real columns keep their own types (PostgreSQL unites compatible ones); an empty slot is a
        # NULL cast to the type the other arms hold there.
        columns[f"s_{name}"] = value if value is not None else Cast(Value(None), output_field=output)
    return columns


_ONE_IF_CORRECT = Case(When(is_correct=True, then=Value(1)), default=Value(0), output_field=BigIntegerField())
_NAMES = ("kind", "s_n1", "s_n2", "s_n3", "s_n4", "s_t1", "s_t2", "s_d1", "s_d2", "s_dec")


def _decimal(value) -> Decimal:
    # SQLite hands a union's decimal column back as a float.
    return Decimal(str(value)).quantize(Decimal("0.01"))


def _state_queryset(user_id: int, module_id: int, section_id: int, *, with_checks: bool):
    """Return the ORM form of the state query: five arms of one UNION ALL (three without checks)."""
    mine = {"user_id": user_id, "module_id": module_id}
    latest_progress = ModuleProgress.objects.filter(**mine).order_by("-cycle")
    cycle = Coalesce(Subquery(latest_progress.values("cycle")[:1]), Value(1))
    since = Coalesce(
        Subquery(latest_progress.filter(cycle__gt=1).values("started_at")[:1]), Value(_EPOCH, output_field=DateTimeField())
    )
    # The current cycle's row (one per cycle): no LIMIT, which SQLite refuses inside a UNION.
    progress = ModuleProgress.objects.filter(**mine).alias(current=cycle).filter(cycle=F("current")).annotate(
        **_columns(
            "progress", n1=F("id"), n2=F("cycle"), n3=F("visit_count"), n4=F("last_section_id"),
            d1=F("started_at"), d2=F("last_viewed_at"), dec=F("engagement_percent"),
        )
    ).values_list(*_NAMES)
    sections = SectionProgress.objects.filter(**mine).alias(current=cycle).filter(cycle=F("current")).annotate(
        **_columns("section", n1=F("section_id"), t1=F("status"))
    ).values_list(*_NAMES)
    completion = ModuleCompletion.objects.filter(**mine).alias(current=cycle).filter(cycle=F("current")).annotate(
        **_columns(
            "completion", n1=F("id"), n2=F("cycle"), n3=F("module_version"), n4=F("practice_id"),
            t1=F("role"), d1=F("completed_at"), dec=F("engagement_percent"),
        )
    ).values_list(*_NAMES)
    attempts = KnowledgeCheckAttempt.objects.filter(**mine)
    answered = attempts.alias(start=since).filter(attempted_at__gte=F("start")).annotate(
        **_columns("answered", n1=_ONE_IF_CORRECT, t1=F("block_id"))
    ).values_list(*_NAMES).distinct()
    latest_ids = attempts.filter(section_id=section_id).values("block_id").annotate(last=Max("id")).values("last")
    latest = KnowledgeCheckAttempt.objects.filter(id__in=Subquery(latest_ids)).annotate(
        **_columns(
            "latest", n1=_ONE_IF_CORRECT, t1=F("block_id"),
            t2=Cast("selected_option_ids", output_field=TextField()), d1=F("attempted_at"),
        )
    ).values_list(*_NAMES)
    arms = [progress, sections, completion]
    if with_checks:
        arms += [answered, latest]
    # Models' default orderings would put an ORDER BY in each arm, which SQLite refuses.
    arms = [arm.order_by() for arm in arms]
    return arms[0].union(*arms[1:], all=True)


# The state query is asked on every module page view: compiled once per process and database
# (core/compiled.py), with and without the knowledge-check arms.
_STAND_INS = {"user_id": -918_273_641, "module_id": -918_273_642, "section_id": -918_273_643}
_STATE_QUERIES = {
    with_checks: CompiledQuery(
        lambda user_id, module_id, section_id, with_checks=with_checks: _state_queryset(
            user_id, module_id, section_id, with_checks=with_checks
        ),
        stand_ins=_STAND_INS, model=ModuleProgress, instances=False,
    )
    for with_checks in (False, True)
}


def _state_rows(user_id: int, module_id: int, section_id: int, *, with_checks: bool) -> list:
    """Return the state query's rows, running its SQL as compiled once per process and database."""
    # Building the five-arm union through the ORM cost more than the database spent answering it.
    return _STATE_QUERIES[with_checks].run(user_id=user_id, module_id=module_id, section_id=section_id)


def learner_section_state(user, module: ModulePage, *, section_id: int, structure: ModuleStructure) -> LearnerSectionState:
    """Return the learner's progress, section statuses, completion and answers in the module (one query).

    Answers count from the start of the learner's current cycle (all of them in the first), as the
    completion rule reads them; the latest answer to each of this section's checks is what the page
    shows, whatever the cycle.
    """
    rows = _state_rows(user.pk, module.pk, section_id, with_checks=bool(structure.check_ids))
    row_progress = None
    completion_row = None
    statuses: dict[int, str] = {}
    answered_ids: set[str] = set()
    correct_ids: set[str] = set()
    latest_answers: dict[str, LatestAnswer] = {}
    for kind, n1, n2, n3, n4, t1, t2, d1, d2, dec in rows:
        if kind == "progress":
            row_progress = ModuleProgress(
                id=n1, user_id=user.pk, module_id=module.pk, cycle=n2, visit_count=n3, last_section_id=n4,
                started_at=d1, last_viewed_at=d2, engagement_percent=_decimal(dec),
            )
            row_progress._state.adding = False
            row_progress._state.db = ModuleProgress.objects.db
        elif kind == "section":
            statuses[n1] = t1
        elif kind == "completion":
            completion_row = ModuleCompletion(
                id=n1, user_id=user.pk, module_id=module.pk, cycle=n2, module_version=n3, practice_id=n4,
                role=t1, completed_at=d1, engagement_percent=_decimal(dec),
            )
            completion_row._state.adding = False
            completion_row._state.db = ModuleCompletion.objects.db
        elif kind == "answered":
            answered_ids.add(t1)
            if n1:
                correct_ids.add(t1)
        elif kind == "latest":
            selected = t2 if isinstance(t2, list) else json.loads(t2 or "[]")
            latest_answers[t1] = LatestAnswer(
                block_id=t1, selected_option_ids=tuple(selected), is_correct=bool(n1), attempted_at=d1
            )
    return LearnerSectionState(
        module=LearnerModuleState(
            structure=structure, progress=row_progress, section_status=statuses, completion=completion_row
        ),
        answered=answered_ids,
        correct=correct_ids,
        latest=latest_answers,
    )

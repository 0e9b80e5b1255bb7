"""A learner's own state in modules: progress, answers and status, for the module pages and My modules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Max, Subquery

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

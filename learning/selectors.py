"""Reads about learning: a module's structure and a learner's state in it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Max, Min, Q, Subquery
from django.utils import timezone

from accounts.roles import PracticeRole
from modules.models import ModulePage
from modules.structure import ModuleStructure, SectionInfo, module_structure
from practices.models import Membership, Practice

from .measures import shown_percent
from .models import (
    VIEW_EVENT_TYPES,
    EventType,
    KnowledgeCheckAttempt,
    LearningEvent,
    ModuleCompletion,
    ModuleProgress,
    SectionProgress,
    SectionStatus,
)


def current_cycle(user, module: ModulePage) -> int:
    """Return the learner's current cycle in the module (1 unless they have renewed)."""
    latest = (
        ModuleProgress.objects.filter(user=user, module=module).order_by("-cycle").values_list("cycle", flat=True).first()
    )
    return latest or 1


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


class Outcome:
    """How a signed-in person's request to open a module is treated."""

    TRACKED = "tracked"  # member of an implementation-arm or not-in-trial practice
    UNTRACKED_STAFF = "untracked_staff"  # editors, moderators, admins, researchers without a practice
    WITHDRAWN = "withdrawn"  # practice withdrew: may read, nothing is collected
    CONTROL_ARM = "control_arm"  # usual-care practice: may not open; recorded as a protocol deviation
    NO_PRACTICE = "no_practice"  # signed in but not a member of any practice


@dataclass(frozen=True)
class Eligibility:
    """Whether a person may open modules now, and whether what they do is recorded."""

    outcome: str
    membership: object | None = None

    @property
    def may_view(self) -> bool:
        return self.outcome in (Outcome.TRACKED, Outcome.UNTRACKED_STAFF, Outcome.WITHDRAWN)

    @property
    def is_tracked(self) -> bool:
        return self.outcome == Outcome.TRACKED


def learner_eligibility(user, *, on) -> Eligibility:
    """Return how the user's module views are treated on the given local date (one query)."""
    from accounts.roles import is_staff_role

    membership = Membership.objects.active(on).select_related("practice", "user").filter(user=user).first()
    if membership is None:
        if is_staff_role(user):
            return Eligibility(Outcome.UNTRACKED_STAFF)
        return Eligibility(Outcome.NO_PRACTICE)
    practice = membership.practice
    if not practice.can_open_modules:
        return Eligibility(Outcome.CONTROL_ARM, membership)
    if practice.is_withdrawn_on(on):
        return Eligibility(Outcome.WITHDRAWN, membership)
    return Eligibility(Outcome.TRACKED, membership)


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


def _status(progress: ModuleProgress | None, completion: ModuleCompletion | None) -> str:
    if completion is not None:
        return ModuleStatus.COMPLETED
    if progress is not None:
        return ModuleStatus.IN_PROGRESS
    return ModuleStatus.NOT_STARTED


def _latest_per_module(rows) -> dict:
    """Keep the highest-cycle row per module from rows ordered by cycle."""
    latest: dict = {}
    for row in rows:
        latest[row.module_id] = row
    return latest


def learner_module_rows(user, modules: list[ModulePage]) -> list[ModuleRow]:
    """Return the learner's status in each module (two queries, however many modules)."""
    ids = [module.pk for module in modules]
    progress = _latest_per_module(ModuleProgress.objects.filter(user=user, module_id__in=ids).order_by("cycle"))
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
                status=_status(row, completion),
                engagement=row.engagement_percent if row else Decimal("0"),
                completed_at=completion.completed_at if completion else None,
                completed_version=completion.module_version if completion else None,
            )
        )
    return rows


# --- My learning record ---------------------------------------------------------------------


@dataclass(frozen=True)
class RecordRow:
    """What the learner has done in one module, for their learning record."""

    module: ModulePage
    status: str
    engagement: Decimal
    visits: int
    page_views: int
    first_access_at: datetime | None
    last_access_at: datetime | None
    completions: tuple[ModuleCompletion, ...]
    check_attempts: int
    checks_correct: int
    downloads: int

    @property
    def engagement_whole(self) -> int:
        """Return the engagement as pages show it (measures.shown_percent)."""
        return shown_percent(self.engagement)

    @property
    def latest_completion(self) -> ModuleCompletion | None:
        return self.completions[-1] if self.completions else None


def learner_record(user) -> list[RecordRow]:
    """Return the learner's own record per module: live modules and any with history (five queries)."""
    views = Q(event_type__in=VIEW_EVENT_TYPES)
    events = {
        row["module_id"]: row
        for row in LearningEvent.objects.filter(user=user)
        .values("module_id")
        .annotate(
            visits=Count("visit_number", filter=views, distinct=True),
            page_views=Count("id", filter=views),
            first_access_at=Min("occurred_at", filter=views),
            last_access_at=Max("occurred_at", filter=views),
            downloads=Count("id", filter=Q(event_type=EventType.RESOURCE_DOWNLOAD)),
        )
        .order_by()
    }
    attempts = {
        row["module_id"]: row
        for row in KnowledgeCheckAttempt.objects.filter(user=user)
        .values("module_id")
        .annotate(n=Count("id"), correct=Count("id", filter=Q(is_correct=True)))
        .order_by()
    }
    progress = _latest_per_module(ModuleProgress.objects.filter(user=user).order_by("cycle"))
    completions: dict[int, list[ModuleCompletion]] = {}
    for completion in ModuleCompletion.objects.filter(user=user).order_by("completed_at", "id"):
        completions.setdefault(completion.module_id, []).append(completion)
    history = set(events) | set(attempts) | set(progress) | set(completions)
    modules = ModulePage.objects.filter(Q(pk__in=history) | Q(live=True)).order_by("path")
    rows = []
    for module in modules:
        row = progress.get(module.pk)
        done = tuple(completions.get(module.pk, ()))
        current = next((c for c in done if row and c.cycle == row.cycle), None) if row else (done[-1] if done else None)
        counts = events.get(module.pk, {})
        tried = attempts.get(module.pk, {})
        rows.append(
            RecordRow(
                module=module,
                status=_status(row, current),
                engagement=row.engagement_percent if row else Decimal("0"),
                visits=counts.get("visits", 0),
                page_views=counts.get("page_views", 0),
                first_access_at=counts.get("first_access_at"),
                last_access_at=counts.get("last_access_at"),
                completions=done,
                check_attempts=tried.get("n", 0),
                checks_correct=tried.get("correct", 0),
                downloads=counts.get("downloads", 0),
            )
        )
    return rows


def learner_events(user):
    """Return the learner's own events, oldest first, with what a CSV row needs (one query, streamed)."""
    return (
        LearningEvent.objects.filter(user=user)
        .select_related("module", "section", "practice")
        .order_by("occurred_at", "id")
    )


# --- Practice lead dashboard ------------------------------------------------------------------


def lead_membership(user, *, on) -> Membership | None:
    """Return the user's active practice-lead membership on the date, or None (one query)."""
    if not user.is_authenticated:
        return None
    return Membership.objects.active(on).filter(user=user, is_lead=True).select_related("practice").first()


@dataclass(frozen=True)
class StaffCell:
    """One staff member's status in one module."""

    module: ModulePage
    status: str
    engagement: Decimal
    completed_at: datetime | None

    @property
    def engagement_whole(self) -> int:
        """Return the engagement as pages show it (measures.shown_percent)."""
        return shown_percent(self.engagement)


@dataclass(frozen=True)
class StaffRow:
    """A current staff member and their status in each module (in the dashboard's module order)."""

    membership: Membership
    name: str
    cells: tuple[StaffCell, ...]


@dataclass(frozen=True)
class ModuleHeadline:
    """How many of the listed staff completed a module."""

    module: ModulePage
    completed: int
    in_progress: int
    staff: int


@dataclass(frozen=True)
class PracticeProgress:
    """A practice's current staff by module, for its lead."""

    practice: Practice
    role: str | None
    modules: tuple[ModulePage, ...]
    rows: tuple[StaffRow, ...]
    headlines: tuple[ModuleHeadline, ...]
    roles_present: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def _display_name(user) -> str:
    return user.get_full_name() or user.email


def practice_staff_progress(practice: Practice, *, role: str | None = None, on=None) -> PracticeProgress:
    """Return the practice's current staff by module: not started, in progress with %, completed (five queries).

    Only this practice's records count: a completion is shown if it was recorded while the person
    was a member of this practice, and progress only if they have done something in the module here.
    """
    on = on or timezone.localdate()
    if role is not None and role not in PracticeRole.values:
        raise ValueError(f"Unknown practice role: {role!r}")
    memberships = list(
        Membership.objects.active(on)
        .filter(practice=practice)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "user__email", "pk")
    )
    labels = dict(PracticeRole.choices)
    held = {m.role for m in memberships}
    roles_present = tuple((value, labels[value]) for value in PracticeRole.values if value in held)
    if role is not None:
        memberships = [m for m in memberships if m.role == role]
    modules = tuple(ModulePage.objects.live().order_by("path"))
    user_ids = [m.user_id for m in memberships]
    module_ids = [module.pk for module in modules]
    progress = {
        (p.user_id, p.module_id): p
        for p in ModuleProgress.objects.filter(user_id__in=user_ids, module_id__in=module_ids).order_by("cycle")
    }
    completions: dict[tuple[int, int], ModuleCompletion] = {}
    for completion in ModuleCompletion.objects.for_practice(practice).filter(
        user_id__in=user_ids, module_id__in=module_ids
    ).order_by("completed_at", "id"):
        completions.setdefault((completion.user_id, completion.module_id), completion)
    active_here = set(
        LearningEvent.objects.for_practice(practice)
        .filter(user_id__in=user_ids, module_id__in=module_ids)
        .values_list("user_id", "module_id")
        .distinct()
        .order_by()
    )
    rows = []
    for membership in memberships:
        cells = []
        for module in modules:
            key = (membership.user_id, module.pk)
            completion = completions.get(key)
            row = progress.get(key) if key in active_here else None
            cells.append(
                StaffCell(
                    module=module,
                    status=_status(row, completion),
                    engagement=row.engagement_percent if row else Decimal("0"),
                    completed_at=completion.completed_at if completion else None,
                )
            )
        rows.append(StaffRow(membership=membership, name=_display_name(membership.user), cells=tuple(cells)))
    headlines = tuple(
        ModuleHeadline(
            module=module,
            completed=sum(1 for row in rows if row.cells[i].status == ModuleStatus.COMPLETED),
            in_progress=sum(1 for row in rows if row.cells[i].status == ModuleStatus.IN_PROGRESS),
            staff=len(rows),
        )
        for i, module in enumerate(modules)
    )
    return PracticeProgress(
        practice=practice, role=role, modules=modules, rows=tuple(rows), headlines=headlines,
        roles_present=roles_present,
    )

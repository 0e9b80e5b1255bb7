"""A practice lead's view: their practice's current staff by module."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.roles import PracticeRole
from modules.models import ModulePage
from practices.models import Membership, Practice

from ..measures import shown_percent
from ..models import LearningEvent, ModuleCompletion, ModuleProgress
from .learner import ModuleStatus, module_status


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

    The modules are the live ones and any the practice has records in, unpublished or retired.

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
    # Live modules, and any module this practice has records in whatever its state now (unpublished
    # or retired): what the team did never drops off its lead's dashboard.
    recorded_here = LearningEvent.objects.for_practice(practice).filter(module_id=OuterRef("pk"))
    modules = tuple(ModulePage.objects.filter(Q(live=True) | Exists(recorded_here)).order_by("path"))
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
                    status=module_status(row, completion),
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

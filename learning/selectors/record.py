"""A learner's own learning record: what they did in each module, and their events for the CSV."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Max, Min, Q

from modules.models import ModulePage, ModuleVersion

from ..measures import VIEW_EVENT_TYPES, shown_percent
from ..models import EventType, KnowledgeCheckAttempt, LearningEvent, ModuleCompletion, ModuleProgress
from .learner import latest_per_module, module_status


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
    # The change note of each version of the module, by number (modules.ModuleVersion).
    version_notes: dict[int, str] = field(default_factory=dict)

    @property
    def completions_with_notes(self) -> list[tuple[ModuleCompletion, str]]:
        """Return each completion with the change note of the module version it was made on."""
        return [(c, self.version_notes.get(c.module_version, "")) for c in self.completions]

    @property
    def engagement_whole(self) -> int:
        """Return the engagement as pages show it (measures.shown_percent)."""
        return shown_percent(self.engagement)

    @property
    def latest_completion(self) -> ModuleCompletion | None:
        return self.completions[-1] if self.completions else None


def learner_record(user) -> list[RecordRow]:
    """Return the learner's own record per module: live modules and any with history (six queries)."""
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
    progress = latest_per_module(ModuleProgress.objects.filter(user=user).order_by("cycle"))
    completions: dict[int, list[ModuleCompletion]] = {}
    for completion in ModuleCompletion.objects.filter(user=user).order_by("completed_at", "id"):
        completions.setdefault(completion.module_id, []).append(completion)
    history = set(events) | set(attempts) | set(progress) | set(completions)
    modules = list(ModulePage.objects.filter(Q(pk__in=history) | Q(live=True)).order_by("path"))
    notes: dict[int, dict[int, str]] = {}
    for module_id, number, note in ModuleVersion.objects.filter(
        module_id__in=[m.pk for m in modules]
    ).values_list("module_id", "number", "change_note"):
        notes.setdefault(module_id, {})[number] = note
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
                status=module_status(row, current),
                engagement=row.engagement_percent if row else Decimal("0"),
                visits=counts.get("visits", 0),
                page_views=counts.get("page_views", 0),
                first_access_at=counts.get("first_access_at"),
                last_access_at=counts.get("last_access_at"),
                completions=done,
                check_attempts=tried.get("n", 0),
                checks_correct=tried.get("correct", 0),
                downloads=counts.get("downloads", 0),
                version_notes=notes.get(module.pk, {}),
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

"""What learners did: append-only events, per-section progress, module progress and completions.

Events are the truth; progress rows are derived state kept for fast pages and can be rebuilt.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import models

from accounts.roles import PracticeRole
from modules.models import ModulePage, SectionPage
from practices.models import Practice

from .measures import VIEW_EVENT_TYPES


class AppendOnlyQuerySet(models.QuerySet):
    """Refuse bulk updates and deletes; the only deletion path is the withdrawal purge service."""

    def update(self, **kwargs):
        raise PermissionDenied(f"{self.model.__name__} rows are append-only.")

    def delete(self):
        raise PermissionDenied(f"{self.model.__name__} rows are append-only.")

    def _purge(self):
        """Delete rows for a withdrawn practice that chose deletion (learning.services only)."""
        return super().delete()


class AppendOnlyModel(models.Model):
    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied(f"{type(self).__name__} rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied(f"{type(self).__name__} rows are append-only.")


class EventType(models.TextChoices):
    MODULE_VIEW = "module_view", "Opened the module page"
    SECTION_VIEW = "section_view", "Viewed a section"
    SECTION_COMPLETE = "section_complete", "Marked a section complete"
    KNOWLEDGE_CHECK = "knowledge_check", "Answered a knowledge check"
    RESOURCE_DOWNLOAD = "resource_download", "Downloaded a resource"
    COMPLETION = "completion", "Completed the module"


class LearningEventQuerySet(AppendOnlyQuerySet):
    def for_practice(self, practice: Practice) -> LearningEventQuerySet:
        return self.filter(practice=practice)

    def between(self, start, end) -> LearningEventQuerySet:
        qs = self
        if start is not None:
            qs = qs.filter(occurred_at__gte=start)
        if end is not None:
            qs = qs.filter(occurred_at__lt=end)
        return qs

    def views(self) -> LearningEventQuerySet:
        return self.filter(event_type__in=VIEW_EVENT_TYPES)


class LearningEvent(AppendOnlyModel):
    """One thing an eligible learner did, with their practice and role at that moment."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="learning_events")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="learning_events")
    role = models.CharField(max_length=24, choices=PracticeRole.choices)
    module = models.ForeignKey(ModulePage, on_delete=models.PROTECT, related_name="learning_events")
    section = models.ForeignKey(
        SectionPage, null=True, blank=True, on_delete=models.PROTECT, related_name="learning_events"
    )
    module_version = models.PositiveIntegerField()
    event_type = models.CharField(max_length=20, choices=EventType.choices)
    occurred_at = models.DateTimeField(db_index=True)
    # The learner's visit to this module that the event belongs to (30-minute rule).
    visit_number = models.PositiveIntegerField()
    detail = models.JSONField(default=dict, blank=True)

    objects = LearningEventQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["practice", "module", "occurred_at"], name="event_practice_module_time"),
            models.Index(fields=["user", "module", "occurred_at"], name="event_user_module_time"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} by user {self.user_id} in module {self.module_id} at {self.occurred_at:%Y-%m-%d %H:%M}"


class ProtocolDeviation(AppendOnlyModel):
    """An attempt to open an intervention module from a control-arm practice: never an access."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="protocol_deviations")
    role = models.CharField(max_length=24, choices=PracticeRole.choices)
    module = models.ForeignKey(ModulePage, on_delete=models.PROTECT, related_name="+")
    section = models.ForeignKey(SectionPage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField()
    path = models.CharField(max_length=500)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return f"Protocol deviation by user {self.user_id} in module {self.module_id}"


class KnowledgeCheckAttempt(AppendOnlyModel):
    """Every answer a learner submits to a knowledge check, kept in full."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    module = models.ForeignKey(ModulePage, on_delete=models.PROTECT, related_name="+")
    section = models.ForeignKey(SectionPage, on_delete=models.PROTECT, related_name="+")
    module_version = models.PositiveIntegerField()
    block_id = models.CharField(max_length=64, help_text="Stable id of the knowledge-check block.")
    selected_option_ids = models.JSONField(default=list)
    is_correct = models.BooleanField()
    attempted_at = models.DateTimeField()

    class Meta:
        ordering = ["attempted_at", "id"]
        indexes = [models.Index(fields=["user", "module", "block_id"], name="attempt_user_module_block")]

    def __str__(self) -> str:
        return f"Attempt at {self.block_id} by user {self.user_id} ({'correct' if self.is_correct else 'incorrect'})"


class SectionStatus(models.TextChoices):
    VIEWED = "viewed", "Viewed"
    COMPLETED = "completed", "Completed"


class SectionProgress(models.Model):
    """A learner's state in one section (derived from events)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="section_progress")
    module = models.ForeignKey(ModulePage, on_delete=models.CASCADE, related_name="+")
    section = models.ForeignKey(SectionPage, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=SectionStatus.choices, default=SectionStatus.VIEWED)
    first_viewed_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)
    module_version = models.PositiveIntegerField()
    cycle = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "section", "cycle"], name="section_progress_one_per_user_section_cycle"
            ),
        ]

    def __str__(self) -> str:
        return f"User {self.user_id} {self.status} section {self.section_id}"


class ModuleProgress(models.Model):
    """A learner's running state in a module: visits, engagement and where to resume (derived)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="module_progress")
    module = models.ForeignKey(ModulePage, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()
    last_viewed_at = models.DateTimeField()
    visit_count = models.PositiveIntegerField(default=0)
    engagement_percent = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    last_section = models.ForeignKey(
        SectionPage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Renewal after an expired certificate starts a new cycle with fresh progress.
    cycle = models.PositiveSmallIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "module", "cycle"], name="module_progress_one_per_user_module_cycle"
            ),
        ]

    def __str__(self) -> str:
        return f"User {self.user_id} in module {self.module_id}: {self.engagement_percent}%"


class ModuleCompletionQuerySet(AppendOnlyQuerySet):
    def for_practice(self, practice: Practice) -> ModuleCompletionQuerySet:
        return self.filter(practice=practice)

    def between(self, start, end) -> ModuleCompletionQuerySet:
        qs = self
        if start is not None:
            qs = qs.filter(completed_at__gte=start)
        if end is not None:
            qs = qs.filter(completed_at__lt=end)
        return qs


class ModuleCompletion(AppendOnlyModel):
    """A learner's completion of a module, recorded once (per renewal cycle) and never undone."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="completions")
    module = models.ForeignKey(ModulePage, on_delete=models.PROTECT, related_name="completions")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="completions")
    role = models.CharField(max_length=24, choices=PracticeRole.choices)
    module_version = models.PositiveIntegerField()
    completed_at = models.DateTimeField()
    engagement_percent = models.DecimalField(max_digits=5, decimal_places=2)
    # 1 for the first completion; a renewal after a certificate expires is cycle 2, and so on.
    cycle = models.PositiveSmallIntegerField(default=1)

    objects = ModuleCompletionQuerySet.as_manager()

    class Meta:
        ordering = ["completed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "module", "cycle"], name="completion_once_per_user_module_cycle"),
        ]

    def __str__(self) -> str:
        return f"{self.user} completed {self.module.title} v{self.module_version}"


# --- Uptake rollups (derived from the events above; learning.rollups fills them) -----------------


class UptakeProperty(models.TextChoices):
    """What an UptakeCount row counts (docs/measures.md, "Rollups")."""

    LEARNERS = "learners", "Learners (all roles)"
    LEARNERS_BY_ROLE = "learners_by_role", "Learners in one role"
    ACCESSES = "accesses", "Visits (all roles)"
    ACCESSES_BY_ROLE = "accesses_by_role", "Visits in one role"
    COMPLETERS = "completers", "Completers, under the role of their completion"
    DEVIATIONS = "deviations", "Protocol deviations"


class UptakeCount(models.Model):
    """A daily count for one practice and module, recomputed from events (Zulip-style rollup row).

    Distinct counts stay exact for any period because each row counts the learners (or visits) whose
    activity on `day` follows their previous active day `previous_day` (None for their first): the
    learners with activity in [start, end) are exactly the rows with day in [start, end) and
    previous_day before start (or None). Never written by the request path.
    """

    property = models.CharField(max_length=24, choices=UptakeProperty.choices)
    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    module = models.ForeignKey(ModulePage, on_delete=models.CASCADE, related_name="+")
    # "" for the all-roles properties; the role the events (or the day's first completion) recorded otherwise.
    role = models.CharField(max_length=24, blank=True)
    day = models.DateField()
    previous_day = models.DateField(null=True, blank=True)
    value = models.PositiveIntegerField()
    # The earliest event the row counts, so the first access and completion need no raw read.
    first_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["property", "practice", "module", "role", "day", "previous_day"],
                name="uptake_count_once_per_key",
            ),
        ]
        indexes = [
            models.Index(fields=["day", "module"], name="uptake_count_day_module"),
            # Withdrawn practices read their own rows up to their cut-off.
            models.Index(fields=["practice", "module", "day"], name="uptake_count_practice_day"),
        ]

    def __str__(self) -> str:
        return f"{self.property} {self.practice_id}/{self.module_id}/{self.role or '*'} {self.day}: {self.value}"


class UptakeTotal(models.Model):
    """One practice's all-time figures for one module (the open period), recomputed with its UptakeCount rows."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="+")
    module = models.ForeignKey(ModulePage, on_delete=models.CASCADE, related_name="+")
    accesses = models.PositiveIntegerField(default=0)
    learners = models.PositiveIntegerField(default=0)
    completers = models.PositiveIntegerField(default=0)
    deviations = models.PositiveIntegerField(default=0)
    first_access_at = models.DateTimeField(null=True, blank=True)
    first_completion_at = models.DateTimeField(null=True, blank=True)
    accesses_by_role = models.JSONField(default=dict, blank=True)
    learners_by_role = models.JSONField(default=dict, blank=True)
    completers_by_role = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["practice", "module"], name="uptake_total_once_per_practice_module"),
        ]

    def __str__(self) -> str:
        return f"uptake {self.practice_id}/{self.module_id}: {self.accesses} accesses"


class FillStatus(models.TextChoices):
    IDLE = "idle", "Filled up to the watermarks"
    FILLING = "filling", "A fill is in progress"
    FAILED = "failed", "The last fill stopped with an error; the next run resumes it"


class FillState(models.Model):
    """How far a rollup is filled: watermarks on the append-only tables' ids, and any fill in progress.

    Rows with ids up to the watermarks are in the rollup; anything newer is the tail, which readers
    take from the raw tables. A fill in progress records its targets and the last practice it
    refilled, so a crashed fill resumes where it stopped.
    """

    name = models.CharField(max_length=40, unique=True)
    events_through = models.BigIntegerField(default=0)
    completions_through = models.BigIntegerField(default=0)
    deviations_through = models.BigIntegerField(default=0)
    status = models.CharField(max_length=10, choices=FillStatus.choices, default=FillStatus.IDLE)
    target_events = models.BigIntegerField(null=True, blank=True)
    target_completions = models.BigIntegerField(null=True, blank=True)
    target_deviations = models.BigIntegerField(null=True, blank=True)
    # The fill in progress has refilled every practice with a primary key up to this one.
    practices_done_through = models.BigIntegerField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.name}: {self.status} through event {self.events_through}"

"""Data cuts (frozen, reproducible exports) and the append-only audit of every export."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

CUT_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,79}$"
validate_cut_name = RegexValidator(
    CUT_NAME_PATTERN,
    "A cut's name is 1 to 80 lower-case letters, digits, dots, hyphens or underscores, starting with a letter or digit.",
)


def _cut_archive_path(instance: DataCut, filename: str) -> str:
    # A random name: the zip is only ever served through the permission-checked, audited view.
    return f"research/cuts/{secrets.token_hex(16)}.zip"


class CutStatus(models.TextChoices):
    PENDING = "pending", "Waiting to start"
    RUNNING = "running", "Writing"
    READY = "ready", "Ready"
    FAILED = "failed", "Failed"


class DataCut(models.Model):
    """A named, frozen export: its cut time, period, frozen registry, progress, files and checksums."""

    name = models.CharField(max_length=80, unique=True, validators=[validate_cut_name])
    cut_at = models.DateTimeField("cut time", help_text="Only what was recorded at or before this moment is in the cut.")
    start = models.DateField(null=True, blank=True, help_text="First day of the period (inclusive), 00:00 UTC.")
    end = models.DateField(null=True, blank=True, help_text="Day after the period (exclusive), 00:00 UTC.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=CutStatus.choices, default=CutStatus.PENDING)
    rows_written = models.PositiveBigIntegerField(default=0)
    rows_total = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    # When the writer last reported progress: a running cut silent for too long was interrupted.
    progress_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # The registry, module labels and table high-water marks at the cut time (research.selectors.freeze_registry).
    frozen = models.JSONField(default=dict, editable=False)
    # [{path, rows, bytes, sha256}] of every file in the package, from its manifest.
    files = models.JSONField(default=list, blank=True, editable=False)
    archive = models.FileField(upload_to=_cut_archive_path, blank=True, editable=False)
    archive_sha256 = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-cut_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__isnull=True) | models.Q(end__isnull=True) | models.Q(start__lt=models.F("end")),
                name="data_cut_start_before_end",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_ready(self) -> bool:
        """Return True only for a cut whose files were all written and packed (never a failed one)."""
        return self.status == CutStatus.READY and bool(self.archive) and bool(self.archive_sha256)

    @property
    def percent(self) -> int:
        """Return the share of rows written, 0-100 (100 only once ready)."""
        if self.status == CutStatus.READY:
            return 100
        if not self.rows_total:
            return 0
        return min(99, int(self.rows_written * 100 / self.rows_total))

    @property
    def manifest_sha256(self) -> str:
        return next((f["sha256"] for f in self.files if f["path"] == "manifest.json"), "")


class ExportAction(models.TextChoices):
    CUT_CREATED = "cut_created", "Created a data cut"
    CUT_WRITTEN = "cut_written", "Wrote a data cut's files"
    CUT_DOWNLOADED = "cut_downloaded", "Downloaded a data cut"
    COMMAND_EXPORT = "command_export", "Exported with the export_access_log command"
    API_EVENTS = "api_events", "Read pseudonymised events through the research API"
    API_CUT_DOWNLOADED = "api_cut_downloaded", "Downloaded a data cut through the research API"


class ExportAuditQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionDenied("Export audit rows are append-only.")

    def delete(self):
        raise PermissionDenied("Export audit rows are append-only.")


class ExportAudit(models.Model):
    """One export: who, when, which cut, with what parameters, how many rows, and its checksum. Append-only."""

    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Who, in words: the account's id for the admin, or the operating-system user for the command.
    actor_label = models.CharField(max_length=200)
    action = models.CharField(max_length=20, choices=ExportAction.choices)
    cut = models.ForeignKey(DataCut, null=True, blank=True, on_delete=models.PROTECT, related_name="audits")
    parameters = models.JSONField(default=dict)
    rows = models.PositiveBigIntegerField(null=True, blank=True)
    checksum = models.CharField(max_length=64, blank=True, help_text="SHA-256 of the manifest (or of the zip downloaded).")

    objects = ExportAuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} by {self.actor_label} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionDenied("Export audit rows are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionDenied("Export audit rows are append-only.")


class MonthlyReportKind(models.TextChoices):
    RESEARCHER = "researcher", "Per-arm summary for the trial team"
    PRACTICE_LEAD = "practice_lead", "A practice's month for its lead"


class MonthlyReport(models.Model):
    """One monthly report sent to one recipient: the record that makes sending it again a no-op."""

    month = models.DateField(help_text="First day of the reported month.")
    kind = models.CharField(max_length=20, choices=MonthlyReportKind.choices)
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The lead's practice; empty for the trial team's summary.
    practice = models.ForeignKey("practices.Practice", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Always filled (0 when there is no practice), so the uniqueness below holds for the summary too.
    practice_key = models.PositiveBigIntegerField(default=0, editable=False)
    job = models.ForeignKey("outbox.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    queued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-month", "kind", "recipient_id", "practice_key"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "kind", "recipient", "practice_key"], name="research_monthly_report_once"
            ),
            models.CheckConstraint(condition=models.Q(month__day=1), name="research_monthly_report_first_day"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.month:%Y-%m} to user {self.recipient_id}"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        """Return the tokens neither revoked nor expired (their owners are checked on each use)."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now or timezone.now())


class ApiToken(models.Model):
    """A researcher's research API token: only its SHA-256 digest is kept; the token is shown once.

    Our own model rather than DRF's authtoken (which keeps the token itself) or django-rest-knox
    (whose tokens are deleted to revoke them and keep no last use): a revoked or expired token stays
    listed with who revoked it and when it was last used. research.api.tokens creates, checks and
    revokes them.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(max_length=80, help_text="What the token is for, e.g. 'analysis pipeline'.")
    # The token's first characters, shown to tell tokens apart and used to find one before comparing digests.
    prefix = models.CharField(max_length=12, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API token"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="api_token_expires_after_creation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def state(self, now=None) -> str:
        """Return 'revoked', 'expired' or 'active'."""
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "active"

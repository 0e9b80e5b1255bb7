"""Certificates issued for completions, learners' reflections, and practice certificate archives."""

from __future__ import annotations

import secrets
import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from learning.models import ModuleCompletion
from modules.models import ModulePage
from practices.models import Practice

from .codes import format_code, new_code


def _certificate_pdf_path(instance: Certificate, filename: str) -> str:
    # A random name, not the code: the file is only ever served through the permission-checked view.
    return f"certificates/pdf/{secrets.token_hex(16)}.pdf"


def _archive_path(instance: CertificateArchive, filename: str) -> str:
    return f"certificates/archives/{secrets.token_hex(16)}.zip"


class CertificateStatus(models.TextChoices):
    VALID = "valid", "Valid"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


class CertificateQuerySet(models.QuerySet):
    def for_user(self, user) -> CertificateQuerySet:
        return self.filter(user=user)

    def for_practice(self, practice: Practice) -> CertificateQuerySet:
        return self.filter(practice=practice)

    def not_revoked(self) -> CertificateQuerySet:
        return self.filter(revoked_at__isnull=True)


class Certificate(models.Model):
    """The certificate for one completion: what it says is a snapshot taken when it was issued."""

    # One certificate per completion, enforced by the database. The completion is kept nullable
    # only so a practice's "delete data collected before withdrawal" purge of completions leaves
    # the learner's certificate (a snapshot) on record instead of failing or taking it with it.
    completion = models.OneToOneField(
        ModuleCompletion, null=True, blank=True, on_delete=models.SET_NULL, related_name="certificate"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="certificates")
    module = models.ForeignKey(ModulePage, on_delete=models.PROTECT, related_name="certificates")
    # The practice the completion belongs to: its leads may download the certificate.
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="certificates")
    module_version = models.PositiveIntegerField()
    module_title = models.CharField(max_length=255)
    holder_name = models.CharField(max_length=301)
    # e.g. "GMC 1234567"; empty when the learner gave no professional registration.
    registration = models.CharField(max_length=40, blank=True)
    learning_hours = models.DecimalField(max_digits=4, decimal_places=2)
    completed_on = models.DateField()
    issued_at = models.DateTimeField()
    code = models.CharField(max_length=28, unique=True, default=new_code, editable=False)
    # The first day the certificate is no longer valid; empty for certificates that never expire.
    expires_on = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revocation_reason = models.TextField(blank=True)
    pdf = models.FileField(upload_to=_certificate_pdf_path, blank=True)
    ready_email_sent_at = models.DateTimeField(null=True, blank=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True, revocation_reason="")
                | (Q(revoked_at__isnull=False) & ~Q(revocation_reason="")),
                name="certificate_revocation_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["practice", "issued_at"], name="certificate_practice_issued")]

    def __str__(self) -> str:
        return f"{self.holder_name}: {self.module_title} v{self.module_version} ({self.display_code})"

    @property
    def display_code(self) -> str:
        return format_code(self.code)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def status_on(self, day: date | None = None) -> str:
        """Return valid, revoked or expired as of the given day (today by default)."""
        if self.revoked_at is not None:
            return CertificateStatus.REVOKED
        day = day or timezone.localdate()
        if self.expires_on is not None and day >= self.expires_on:
            return CertificateStatus.EXPIRED
        return CertificateStatus.VALID

    @property
    def status(self) -> str:
        return self.status_on()

    @property
    def revoked_on(self) -> date | None:
        return timezone.localdate(self.revoked_at) if self.revoked_at else None


class Reflection(models.Model):
    """A learner's reflective note on a module for appraisal; the body is sanitised HTML."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reflections")
    module = models.ForeignKey(ModulePage, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(help_text="Sanitised HTML (core.sanitise); never stored unsanitised.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [models.UniqueConstraint(fields=["user", "module"], name="reflection_one_per_user_module")]

    def __str__(self) -> str:
        return f"Reflection by user {self.user_id} on module {self.module_id}"


class ArchiveStatus(models.TextChoices):
    PENDING = "pending", "Waiting to start"
    RUNNING = "running", "Preparing"
    READY = "ready", "Ready to download"
    FAILED = "failed", "Failed"


class CertificateArchive(models.Model):
    """A zip of a practice's certificates prepared in the background for one practice lead."""

    # A random UUID, so an archive's address cannot be guessed from another's.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=ArchiveStatus.choices, default=ArchiveStatus.PENDING)
    progress = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=_archive_path, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Certificates of {self.practice} requested {self.created_at:%Y-%m-%d %H:%M}"

    @property
    def is_finished(self) -> bool:
        return self.status in (ArchiveStatus.READY, ArchiveStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == ArchiveStatus.READY:
            return 100
        return int(self.progress * 100 / self.total) if self.total else 0

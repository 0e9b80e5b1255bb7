"""Practices in the trial registry, their staff memberships and invitations."""

from __future__ import annotations

import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone

from accounts.roles import PracticeRole as Role

from .validators import normalise_ods_code, validate_ods_code

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud over the phone


def new_join_code() -> str:
    """Return a fresh 8-character practice join code."""
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


def new_invitation_token() -> str:
    """Return an unguessable invitation token for a link."""
    return secrets.token_urlsafe(32)


class Nation(models.TextChoices):
    ENGLAND = "england", "England"
    SCOTLAND = "scotland", "Scotland"
    WALES = "wales", "Wales"
    NORTHERN_IRELAND = "northern_ireland", "Northern Ireland"


class Arm(models.TextChoices):
    IMPLEMENTATION = "implementation", "Implementation"
    CONTROL = "control", "Control (usual care)"
    NOT_IN_TRIAL = "not_in_trial", "Not in trial"


class WithdrawalDataChoice(models.TextChoices):
    RETAIN = "retain", "Retain data collected before withdrawal"
    DELETE = "delete", "Delete data collected before withdrawal"


class PracticeQuerySet(models.QuerySet):
    def in_arm(self, arm: str) -> PracticeQuerySet:
        return self.filter(arm=arm)

    def in_trial(self) -> PracticeQuerySet:
        return self.exclude(arm=Arm.NOT_IN_TRIAL)

    def withdrawn(self) -> PracticeQuerySet:
        return self.filter(withdrawn_on__isnull=False)


class Practice(models.Model):
    """A general practice: its ODS code, trial arm, randomisation and any withdrawal."""

    ods_code = models.CharField("ODS code", max_length=6, unique=True, validators=[validate_ods_code])
    name = models.CharField(max_length=200)
    nation = models.CharField(max_length=20, choices=Nation.choices)
    trial_id = models.CharField(
        "trial ID", max_length=32, unique=True, null=True, blank=True,
        help_text="The practice's identifier in the trial; required for trial arms.",
    )
    arm = models.CharField(max_length=20, choices=Arm.choices, default=Arm.NOT_IN_TRIAL)
    randomised_on = models.DateField("randomisation date", null=True, blank=True)
    withdrawn_on = models.DateField("withdrawal date", null=True, blank=True)
    withdrawal_reason = models.TextField(blank=True)
    withdrawal_data_choice = models.CharField(
        "data collected before withdrawal", max_length=10, choices=WithdrawalDataChoice.choices, blank=True
    )
    join_code = models.CharField(max_length=8, unique=True, default=new_join_code, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PracticeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(arm="not_in_trial") | (Q(trial_id__isnull=False) & Q(randomised_on__isnull=False)),
                name="practice_trial_arm_needs_trial_id_and_randomisation",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_on__isnull=True) | ~Q(withdrawal_data_choice=""),
                name="practice_withdrawal_needs_data_choice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.ods_code})"

    def clean(self) -> None:
        self.ods_code = normalise_ods_code(self.ods_code)
        self.trial_id = (self.trial_id or "").strip() or None
        errors: dict[str, str] = {}
        if self.arm != Arm.NOT_IN_TRIAL:
            if not self.trial_id:
                errors["trial_id"] = "A practice in a trial arm needs its trial ID."
            if not self.randomised_on:
                errors["randomised_on"] = "A practice in a trial arm needs its randomisation date."
        if self.withdrawn_on:
            if not self.withdrawal_data_choice:
                errors["withdrawal_data_choice"] = "Record whether data collected before withdrawal is kept or deleted."
            if self.randomised_on and self.withdrawn_on < self.randomised_on:
                errors["withdrawn_on"] = "The withdrawal date cannot be before the randomisation date."
        elif self.withdrawal_data_choice or self.withdrawal_reason:
            errors["withdrawn_on"] = "Enter the withdrawal date, or clear the withdrawal reason and data choice."
        if errors:
            raise ValidationError(errors)

    def is_withdrawn_on(self, day: date) -> bool:
        """Return True if nothing may be collected for this practice on day."""
        return self.withdrawn_on is not None and day >= self.withdrawn_on

    @property
    def can_open_modules(self) -> bool:
        """Return True unless the practice is in the control arm (usual care)."""
        return self.arm != Arm.CONTROL


class MembershipQuerySet(models.QuerySet):
    def active(self, on: date | None = None) -> MembershipQuerySet:
        """Return memberships current on the given day (today by default)."""
        on = on or timezone.localdate()
        return self.filter(started_on__lte=on).filter(Q(ended_on__isnull=True) | Q(ended_on__gt=on))

    def leads(self) -> MembershipQuerySet:
        return self.filter(is_lead=True)


class Membership(models.Model):
    """A person's role in a practice for a period; a learner who moves keeps their history."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=24, choices=Role.choices)
    is_lead = models.BooleanField("practice lead", default=False)
    started_on = models.DateField(default=timezone.localdate)
    ended_on = models.DateField(null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["practice__name", "user__last_name", "user__first_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(ended_on__isnull=True), name="membership_one_open_per_user",
                violation_error_message=(
                    "This person already belongs to a practice. End that membership first: one practice at a time."
                ),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="membership_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} at {self.practice.name}"

    def is_active_on(self, day: date) -> bool:
        """Return True if the membership is current on the day (the rule of MembershipQuerySet.active)."""
        return self.started_on <= day and (self.ended_on is None or self.ended_on > day)


class InvitationSource(models.TextChoices):
    LEAD = "lead", "Sent by a practice lead"
    IMPORT = "import", "Staff import"


class InvitationQuerySet(models.QuerySet):
    def usable(self) -> InvitationQuerySet:
        """Return invitations that can still be accepted."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    """An invitation to join a practice: a lead's link to a colleague, or an imported staff member's welcome."""

    practice = models.ForeignKey(Practice, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    first_name = models.CharField(max_length=150, blank=True)
    last_name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=24, choices=Role.choices)
    is_lead = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=InvitationSource.choices, default=InvitationSource.LEAD)
    token = models.CharField(max_length=64, unique=True, default=new_invitation_token, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When the email went out (once only).")
    revoked_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    VALID_FOR = timedelta(days=14)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.practice.name}"

    def save(self, *args, **kwargs):
        if not self.expires_at:
            self.expires_at = (self.created_at or timezone.now()) + self.VALID_FOR
        self.email = self.email.strip().lower()
        super().save(*args, **kwargs)

    @property
    def is_usable(self) -> bool:
        """Return True if the invitation can still be accepted."""
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class PendingJoin(models.Model):
    """A practice chosen at sign-up (a join code and role, or an invitation) waiting for the address to be verified.

    Joined by `practices.services.join_held_practice` when allauth confirms the email address (or
    a password-reset link proves it), so an unverified account is never a member.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="pending_join")
    join_code = models.CharField(max_length=20, blank=True)
    role = models.CharField(max_length=40, blank=True)
    invitation_token = models.CharField(max_length=64, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"Practice waiting for {self.user} to verify their address"

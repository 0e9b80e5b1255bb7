"""The platform's user: email is the login; the practice role lives on the membership."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models

from .validators import normalise_registration_number, validate_registration_number


class UserManager(BaseUserManager):
    """Create users identified by email address."""

    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class RegistrationBody(models.TextChoices):
    GMC = "GMC", "General Medical Council (GMC)"
    NMC = "NMC", "Nursing and Midwifery Council (NMC)"
    GPHC = "GPHC", "General Pharmaceutical Council (GPhC)"
    HCPC = "HCPC", "Health and Care Professions Council (HCPC)"


class User(AbstractUser):
    """A person who signs in: learner, practice lead, editor, moderator, researcher or admin."""

    username = None
    email = models.EmailField("email address", unique=True)
    registration_body = models.CharField(
        "professional registration body", max_length=4, choices=RegistrationBody.choices, blank=True
    )
    registration_number = models.CharField("professional registration number", max_length=12, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name", "email"]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def clean(self) -> None:
        super().clean()
        self.email = (self.email or "").strip().lower()
        self.registration_number = normalise_registration_number(self.registration_number)
        validate_registration_number(self.registration_body, self.registration_number)

    @property
    def registration_display(self) -> str:
        """Return e.g. "GMC 1234567" for certificates, or an empty string."""
        if not self.registration_body:
            return ""
        return f"{self.get_registration_body_display().split(' (')[-1].rstrip(')')} {self.registration_number}"

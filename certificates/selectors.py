"""Reads about certificates: a learner's certificates, who may download what, CPD summaries."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import QuerySet
from django.utils.safestring import SafeString, mark_safe

from accounts.roles import ADMIN, user_in_groups
from core.sanitise import sanitise
from practices.models import Membership, Practice

from .codes import CODE_LENGTH
from .models import Certificate, CertificateArchive, Reflection

NAME_NOT_RECORDED = "Name not recorded"

# Compared against when the input cannot be a code, so every verify request costs one lookup.
_NO_SUCH_CODE = "!" * CODE_LENGTH


def holder_name(user) -> str:
    """Return the name a certificate is issued in: the learner's full name as they gave it."""
    return user.get_full_name().strip() or NAME_NOT_RECORDED


def certificates_for_user(user) -> QuerySet[Certificate]:
    """Return the learner's own certificates, newest first (used by My certificates and the learning record)."""
    if not getattr(user, "is_authenticated", False):
        return Certificate.objects.none()
    return Certificate.objects.filter(user=user).order_by("-issued_at", "-id")


def certificate_by_code(code: str | None) -> Certificate | None:
    """Return the certificate with this stored code, always running exactly one indexed query."""
    return (
        Certificate.objects.filter(code=code or _NO_SUCH_CODE)
        .only(
            "id", "code", "holder_name", "module_title", "module_version", "completed_on",
            "learning_hours", "expires_on", "revoked_at",
        )
        .first()
    )


def lead_practice_ids(user) -> set[int]:
    """Return the ids of practices the user currently leads."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    return set(Membership.objects.active().leads().filter(user=user).values_list("practice_id", flat=True))


def lead_practices(user) -> QuerySet[Practice]:
    """Return the practices the user currently leads."""
    return Practice.objects.filter(pk__in=lead_practice_ids(user))


def is_practice_lead(user, practice: Practice) -> bool:
    """Return True if the user currently leads the practice."""
    return practice.pk in lead_practice_ids(user)


def can_download_certificate(user, certificate: Certificate) -> bool:
    """Return True for the holder, a current lead of the completion's practice, or an admin."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if certificate.user_id == user.pk:
        return True
    if user_in_groups(user, ADMIN):
        return True
    return certificate.practice_id in lead_practice_ids(user)


def downloadable_certificate(user, code: str | None) -> Certificate | None:
    """Return the certificate for code if this user may download it, else None (callers answer 404)."""
    if code is None:
        return None
    certificate = Certificate.objects.filter(code=code).first()
    if certificate is None or not can_download_certificate(user, certificate):
        return None
    return certificate


def certificates_for_practice(practice: Practice) -> QuerySet[Certificate]:
    """Return the practice's certificates that are not revoked, in a stable order for archives."""
    return (
        Certificate.objects.for_practice(practice)
        .not_revoked()
        .order_by("holder_name", "module_title", "completed_on", "id")
    )


def archive_for_user(user, archive_id) -> CertificateArchive | None:
    """Return the archive if this user requested it and still leads its practice, else None."""
    if not getattr(user, "is_authenticated", False):
        return None
    archive = CertificateArchive.objects.filter(pk=archive_id, requested_by=user).select_related("practice").first()
    if archive is None or archive.practice_id not in lead_practice_ids(user):
        return None
    return archive


def archives_for_lead(user, practice: Practice) -> QuerySet[CertificateArchive]:
    """Return the archives this lead requested for the practice, newest first."""
    return CertificateArchive.objects.filter(requested_by=user, practice=practice).order_by("-created_at")[:5]


@dataclass(frozen=True)
class ReflectionView:
    """A reflection ready to show: the module's title and the body as safe HTML."""

    module_id: int
    module_title: str
    body_html: SafeString
    updated_at: object


def reflections_for_user(user) -> list[ReflectionView]:
    """Return the learner's reflections with bodies re-sanitised for display, newest first."""
    rows = Reflection.objects.filter(user=user).select_related("module").order_by("-updated_at")
    # Bodies are sanitised on save; sanitising again on the way out costs little and means a
    # row written by any other path still cannot carry markup out of the allowlist.
    return [
        ReflectionView(
            module_id=row.module_id,
            module_title=row.module.title,
            body_html=mark_safe(sanitise(row.body)),  # noqa: S308 - output of the allowlist sanitiser
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def reflection_for(user, module_id: int) -> Reflection | None:
    """Return the learner's reflection on a module, if any."""
    return Reflection.objects.filter(user=user, module_id=module_id).first()


@dataclass(frozen=True)
class CpdSummary:
    """Everything a learner's CPD summary shows: certificates, hours and reflections."""

    certificates: list[Certificate]
    total_hours: Decimal
    reflections: list[ReflectionView]


def cpd_summary(user) -> CpdSummary:
    """Return the learner's CPD summary; revoked certificates are listed but their hours not counted."""
    certificates = list(certificates_for_user(user).order_by("completed_on", "id"))
    total = sum((c.learning_hours for c in certificates if not c.is_revoked), Decimal("0"))
    return CpdSummary(certificates=certificates, total_hours=total, reflections=reflections_for_user(user))

"""Writes about certificates: issue, store the PDF, notify, revoke, reflections and practice archives."""

from __future__ import annotations

import io
import logging
import tempfile
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.text import slugify
from wagtail.log_actions import log

from accounts.roles import ADMIN, user_in_groups
from core import csv as safe_csv
from core.sanitise import sanitise_user_text
from learning.models import ModuleCompletion
from learning.services import renewal_due_on
from modules.models import ModulePage
from outbox.services import enqueue_after_commit
from practices.models import Practice

from . import conf, pdf
from .models import ArchiveStatus, Certificate, CertificateArchive, Reflection
from .selectors import certificates_for_practice, holder_name, is_practice_lead

logger = logging.getLogger(__name__)

REVOKE_ACTION = "certificates.revoke"
MAX_REFLECTION_INPUT = 20_000
MAX_REFLECTION_STORED = 15_000
# A running archive with no progress for this long is taken to belong to a worker that died.
ARCHIVE_STALE_AFTER = timedelta(minutes=10)


@transaction.atomic
def issue_certificate(*, completion: ModuleCompletion) -> Certificate:
    """Issue the certificate for a completion, or return the one already issued for it."""
    user = completion.user
    module = completion.module
    certificate, created = Certificate.objects.get_or_create(
        completion=completion,
        defaults={
            "user": user,
            "module": module,
            "practice_id": completion.practice_id,
            "module_version": completion.module_version,
            "module_title": module.title,
            "holder_name": holder_name(user),
            "registration": user.registration_display,
            "learning_hours": module.cpd_hours,
            "completed_on": timezone.localdate(completion.completed_at),
            "issued_at": timezone.now(),
            "expires_on": renewal_due_on(completion),
        },
    )
    if created:
        # Recorded with the certificate, run after commit; the learner's download renders on
        # demand meanwhile, so a broker outage delays the email, never the certificate.
        enqueue_after_commit(task="certificates.tasks.prepare_certificate", args=[certificate.pk])
    return certificate


def store_certificate_pdf(*, certificate: Certificate) -> Certificate:
    """Render and store the certificate's PDF unless a stored file already exists; return the certificate."""
    if _has_stored_pdf(certificate):
        return certificate
    # Render outside any transaction: it takes a few hundred milliseconds and needs no lock.
    content = pdf.render_certificate_pdf(certificate)
    with transaction.atomic():
        locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
        if _has_stored_pdf(locked):
            return locked
        locked.pdf.save(f"{certificate.code}.pdf", ContentFile(content), save=False)
        locked.save(update_fields=["pdf"])
    return locked


def certificate_pdf_bytes(*, certificate: Certificate) -> bytes:
    """Return the certificate's PDF, rendering and storing it first if the file is missing."""
    certificate = store_certificate_pdf(certificate=certificate)
    try:
        with certificate.pdf.open("rb") as handle:
            return handle.read()
    except FileNotFoundError:
        # Deleted between the check and the read: render this once without storing.
        return pdf.render_certificate_pdf(certificate)


def _has_stored_pdf(certificate: Certificate) -> bool:
    return bool(certificate.pdf) and certificate.pdf.storage.exists(certificate.pdf.name)


def send_certificate_ready_email(*, certificate: Certificate) -> bool:
    """Email the holder that their certificate is ready, once; return True if this call sent it."""
    claimed = Certificate.objects.filter(pk=certificate.pk, ready_email_sent_at__isnull=True).update(
        ready_email_sent_at=timezone.now()
    )
    if not claimed:
        return False
    link = conf.base_url() + reverse("certificates:mine")
    try:
        send_mail(
            subject=f"Your certificate is ready: {certificate.module_title}",
            message=(
                f"Dear {certificate.holder_name},\n\n"
                f"Your certificate for completing \"{certificate.module_title}\" "
                f"(version {certificate.module_version}) on {date_format(certificate.completed_on, 'j F Y')} is ready.\n\n"
                f"Download it from My certificates: {link}\n\n"
                f"Certificate code: {certificate.display_code}\n"
                f"Anyone you share it with can check it at {pdf.verify_url(certificate)}\n\n"
                f"{conf.issuer()}\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[certificate.user.email],
        )
    except Exception:
        # Release the claim so a retry of the task sends it.
        Certificate.objects.filter(pk=certificate.pk).update(ready_email_sent_at=None)
        raise
    return True


@transaction.atomic
def revoke_certificate(*, certificate: Certificate, by, reason: str) -> Certificate:
    """Revoke a certificate with a reason, recorded in the admin audit log; only admins may."""
    if not user_in_groups(by, ADMIN):
        raise PermissionDenied("Only an admin can revoke a certificate.")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Enter the reason for revoking this certificate."})
    if len(reason) > 1000:
        raise ValidationError({"reason": "The reason must be 1,000 characters or fewer."})
    locked = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if locked.revoked_at is not None:
        raise ValidationError(f"This certificate was already revoked on {date_format(locked.revoked_on, 'j F Y')}.")
    locked.revoked_at = timezone.now()
    locked.revoked_by = by
    locked.revocation_reason = reason
    locked.save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
    log(instance=locked, action=REVOKE_ACTION, user=by, data={"reason": reason, "code": locked.display_code})
    return locked


@transaction.atomic
def save_reflection(*, user, module: ModulePage, body: str) -> Reflection | None:
    """Store the learner's sanitised reflection on a module; an empty body removes it."""
    if len(body) > MAX_REFLECTION_INPUT:
        raise ValidationError({"body": f"Your reflection must be {MAX_REFLECTION_INPUT:,} characters or fewer."})
    clean = sanitise_user_text(body)
    if len(clean) > MAX_REFLECTION_STORED:
        raise ValidationError({"body": "Your reflection is too long once formatted. Shorten it and save again."})
    if not clean:
        Reflection.objects.filter(user=user, module=module).delete()
        return None
    now = timezone.now()
    reflection, created = Reflection.objects.get_or_create(
        user=user, module=module, defaults={"body": clean, "created_at": now, "updated_at": now}
    )
    if not created:
        reflection.body = clean
        reflection.updated_at = now
        reflection.save(update_fields=["body", "updated_at"])
    return reflection


@transaction.atomic
def request_certificate_archive(*, user, practice: Practice) -> CertificateArchive:
    """Start preparing a zip of the practice's certificates for one of its leads."""
    if not is_practice_lead(user, practice):
        raise PermissionDenied("Only a lead of this practice can download its certificates.")
    in_flight = (
        CertificateArchive.objects.filter(
            requested_by=user, practice=practice, status__in=[ArchiveStatus.PENDING, ArchiveStatus.RUNNING],
            created_at__gte=timezone.now() - ARCHIVE_STALE_AFTER,
        )
        .order_by("-created_at")
        .first()
    )
    if in_flight is not None:
        # A double click or a second tab follows the job already running.
        return in_flight
    archive = CertificateArchive.objects.create(practice=practice, requested_by=user)
    # The job waits in the outbox while the broker is down; the status page shows it waiting to start.
    enqueue_after_commit(
        task="certificates.tasks.build_archive", args=[str(archive.pk)],
        lease_seconds=int(ARCHIVE_STALE_AFTER.total_seconds()),
    )
    return archive


def _claim_archive(archive_id) -> CertificateArchive | None:
    with transaction.atomic():
        archive = CertificateArchive.objects.select_for_update().filter(pk=archive_id).first()
        if archive is None or archive.status == ArchiveStatus.READY:
            return None
        stale = archive.status == ArchiveStatus.RUNNING and archive.created_at < timezone.now() - ARCHIVE_STALE_AFTER
        if archive.status == ArchiveStatus.RUNNING and not stale:
            return None
        archive.status = ArchiveStatus.RUNNING
        archive.progress = 0
        archive.error = ""
        archive.save(update_fields=["status", "progress", "error"])
        return archive


def _zip_name(certificate: Certificate, used: set[str]) -> str:
    stem = slugify(f"{certificate.holder_name} {certificate.module_title} {certificate.completed_on:%Y-%m-%d}")
    name = f"{stem or 'certificate'}-{certificate.code[:4]}.pdf"
    while name in used:
        name = f"{stem}-{certificate.code[:8]}-{len(used)}.pdf"
    used.add(name)
    return name


def build_certificate_archive(*, archive_id) -> CertificateArchive | None:
    """Write the practice's certificates into a zip with a manifest, recording progress as it goes."""
    archive = _claim_archive(archive_id)
    if archive is None:
        return None
    try:
        certificates = list(certificates_for_practice(archive.practice).select_related("user"))
        CertificateArchive.objects.filter(pk=archive.pk).update(total=len(certificates))
        manifest = io.StringIO()
        # Holder names and module titles are typed by people: no cell may start a formula.
        writer = safe_csv.writer(manifest)
        writer.writerow([
            "file", "holder_name", "registration", "module", "module_version", "completed_on",
            "learning_hours", "status", "expires_on", "certificate_code",
        ])
        used: set[str] = set()
        with tempfile.TemporaryFile() as spool:
            with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
                for done, certificate in enumerate(certificates, start=1):
                    name = _zip_name(certificate, used)
                    bundle.writestr(name, certificate_pdf_bytes(certificate=certificate))
                    writer.writerow([
                        name, certificate.holder_name, certificate.registration, certificate.module_title,
                        certificate.module_version, certificate.completed_on.isoformat(),
                        f"{certificate.learning_hours}", certificate.status,
                        certificate.expires_on.isoformat() if certificate.expires_on else "",
                        certificate.display_code,
                    ])
                    CertificateArchive.objects.filter(pk=archive.pk).update(progress=done)
                bundle.writestr("manifest.csv", manifest.getvalue())
            spool.seek(0)
            archive.refresh_from_db()
            archive.file.save(f"{archive.pk}.zip", File(spool), save=False)
        archive.status = ArchiveStatus.READY
        archive.finished_at = timezone.now()
        archive.save(update_fields=["file", "status", "finished_at"])
    except Exception:
        logger.exception("Certificate archive %s failed", archive_id)
        CertificateArchive.objects.filter(pk=archive_id).update(
            status=ArchiveStatus.FAILED, finished_at=timezone.now(),
            error="Something went wrong while preparing the zip. Try again; if it fails again, contact support.",
        )
        return CertificateArchive.objects.get(pk=archive_id)
    return archive

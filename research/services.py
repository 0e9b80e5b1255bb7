"""Writes for research: create and write data cuts, and audit every export (the only writer of both).

Nothing here writes to learning: the export reads it through learning.selectors.events.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from wagtail.log_actions import log

from outbox.services import enqueue_after_commit

from .exports.package import FORMATS, ExportParameters, PackageResult, count_rows, write_package, zip_package
from .models import CutStatus, DataCut, ExportAction, ExportAudit, validate_cut_name
from .selectors import freeze_registry

logger = logging.getLogger(__name__)

BUILD_TASK = "research.tasks.write_cut"
# A running cut that has reported no progress for this long was interrupted (its worker died).
STALE_AFTER = timedelta(minutes=15)
LOG_CREATED = "research.cut_created"
LOG_DOWNLOADED = "research.cut_downloaded"


def cut_parameters(cut: DataCut) -> ExportParameters:
    """Return the export parameters a cut stands for."""
    return ExportParameters(cut_at=cut.cut_at, start=cut.start, end=cut.end, cut_name=cut.name)


def _validate_period(start: date | None, end: date | None) -> None:
    if start and end and start >= end:
        raise ValidationError({"end": "The end date must be after the start date (the period is start to before end)."})


def _actor_label(user) -> str:
    return f"user {user.pk}" if user is not None else "unknown"


@transaction.atomic
def create_cut(*, name: str, start: date | None = None, end: date | None = None, requested_by=None,
               enqueue: bool = True) -> DataCut:
    """Freeze the registry now as a named data cut, audit it, and queue the writing of its files."""
    name = (name or "").strip()
    validate_cut_name(name)
    _validate_period(start, end)
    if DataCut.objects.filter(name=name).exists():
        raise ValidationError({"name": f"A data cut named {name!r} already exists. Choose another name."})
    cut = DataCut(name=name, cut_at=timezone.now(), start=start, end=end, requested_by=requested_by,
                  frozen=freeze_registry())
    cut.full_clean(exclude=["frozen"])
    cut.rows_total = count_rows(cut_parameters(cut), cut.frozen)
    cut.save()
    ExportAudit.objects.create(
        actor=requested_by, actor_label=_actor_label(requested_by), action=ExportAction.CUT_CREATED, cut=cut,
        parameters=cut_parameters(cut).as_dict(), rows=cut.rows_total,
    )
    log(instance=cut, action=LOG_CREATED, user=requested_by, data={"rows": cut.rows_total})
    if enqueue:
        # The job waits in the outbox while the broker is down; the cut's page shows it waiting.
        enqueue_after_commit(task=BUILD_TASK, args=[cut.pk], lease_seconds=int(STALE_AFTER.total_seconds()))
    return cut


def _claim_cut(cut_id: int) -> DataCut | None:
    with transaction.atomic():
        cut = DataCut.objects.select_for_update().filter(pk=cut_id).first()
        if cut is None or cut.status == CutStatus.READY:
            return None
        if cut.status == CutStatus.RUNNING and not _is_stale(cut, timezone.now()):
            return None
        now = timezone.now()
        cut.status = CutStatus.RUNNING
        cut.rows_written = 0
        cut.error = ""
        cut.started_at = now
        cut.progress_at = now
        cut.finished_at = None
        cut.save(update_fields=["status", "rows_written", "error", "started_at", "progress_at", "finished_at"])
        return cut


def _is_stale(cut: DataCut, now: datetime) -> bool:
    seen = cut.progress_at or cut.started_at or cut.created_at
    return seen < now - STALE_AFTER


def _sha256_file(handle) -> str:
    digest = hashlib.sha256()
    handle.seek(0)
    for chunk in iter(lambda: handle.read(1 << 20), b""):
        digest.update(chunk)
    handle.seek(0)
    return digest.hexdigest()


def write_cut(*, cut_id: int) -> DataCut | None:
    """Write a cut's files, zip them and mark it ready, recording progress; mark it failed on any error."""
    cut = _claim_cut(cut_id)
    if cut is None:
        return None
    try:
        def progress(written: int, total: int) -> None:
            DataCut.objects.filter(pk=cut.pk, status=CutStatus.RUNNING).update(
                rows_written=written, rows_total=max(total, written), progress_at=timezone.now()
            )

        with tempfile.TemporaryDirectory(prefix="research-cut-") as folder, tempfile.TemporaryFile() as spool:
            result = write_package(
                directory=Path(folder), parameters=cut_parameters(cut), frozen=cut.frozen,
                on_progress=progress, total=cut.rows_total,
            )
            zip_package(directory=Path(folder), target=spool, cut_at=cut.cut_at)
            archive_sha256 = _sha256_file(spool)
            cut.refresh_from_db()
            if cut.status != CutStatus.RUNNING:
                return cut  # Marked failed (interrupted) meanwhile: never offer what another run may redo.
            cut.archive.save(f"{cut.pk}.zip", File(spool), save=False)
        with transaction.atomic():
            cut.status = CutStatus.READY
            cut.rows_written = result.rows
            cut.rows_total = result.rows
            cut.files = [{"path": f.path, "rows": f.rows, "bytes": f.bytes, "sha256": f.sha256} for f in result.files]
            cut.archive_sha256 = archive_sha256
            cut.finished_at = timezone.now()
            cut.save(update_fields=["status", "rows_written", "rows_total", "files", "archive", "archive_sha256",
                                    "finished_at"])
            ExportAudit.objects.create(
                actor=None, actor_label="background task", action=ExportAction.CUT_WRITTEN, cut=cut,
                parameters=cut_parameters(cut).as_dict(), rows=result.rows, checksum=result.manifest_sha256,
            )
        return cut
    except Exception:
        logger.exception("Data cut %s failed", cut_id)
        DataCut.objects.filter(pk=cut_id).update(
            status=CutStatus.FAILED, finished_at=timezone.now(),
            error="Writing the cut's files failed. Create the cut again under a new name; if it fails again, "
            "contact support.",
        )
        return DataCut.objects.get(pk=cut_id)


def fail_interrupted_cuts(*, now: datetime | None = None) -> int:
    """Mark running or waiting cuts that have been silent too long as failed; return how many."""
    now = now or timezone.now()
    silent = Q(progress_at__lt=now - STALE_AFTER) | Q(progress_at__isnull=True, created_at__lt=now - STALE_AFTER)
    return DataCut.objects.filter(silent, status__in=[CutStatus.RUNNING]).update(
        status=CutStatus.FAILED, finished_at=now,
        error="The export was interrupted before it finished; its files are incomplete and are not offered.",
    )


@transaction.atomic
def record_cut_download(*, cut: DataCut, user, api_token_id: int | None = None) -> ExportAudit:
    """Audit a download of a ready cut's zip (who, when, which cut, rows, the zip's checksum; the API token if any)."""
    if not cut.is_ready:
        raise ValidationError("Only a cut whose files were all written can be downloaded.")
    log(instance=cut, action=LOG_DOWNLOADED, user=user, data={"sha256": cut.archive_sha256})
    parameters = cut_parameters(cut).as_dict()
    if api_token_id is not None:
        parameters["api_token"] = api_token_id
    return ExportAudit.objects.create(
        actor=user, actor_label=_actor_label(user),
        action=ExportAction.CUT_DOWNLOADED if api_token_id is None else ExportAction.API_CUT_DOWNLOADED, cut=cut,
        parameters=parameters, rows=cut.rows_total, checksum=cut.archive_sha256,
    )


def record_api_events(*, user, api_token_id: int, parameters: dict[str, Any], rows: int) -> ExportAudit:
    """Audit one page of pseudonymised events read through the research API (who, which token, what, how many)."""
    return ExportAudit.objects.create(
        actor=user, actor_label=_actor_label(user), action=ExportAction.API_EVENTS,
        parameters={**parameters, "api_token": api_token_id}, rows=rows,
    )


@dataclass(frozen=True)
class CommandExport:
    """What the export_access_log command wrote, and the audit row recording it."""

    result: PackageResult
    audit: ExportAudit
    cut: DataCut | None


def export_to_directory(
    *, directory: Path, start: date | None = None, end: date | None = None, cut_name: str | None = None,
    actor_label: str, export_format: str = "csv", on_progress=None,
) -> CommandExport:
    """Write a package into a new directory (nothing left behind on failure) and audit it.

    With a cut name: an existing cut is generated again from its frozen state (its period and cut
    time, refusing other dates); a new name freezes a new cut now, as the admin does.
    """
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ValidationError(f"{directory} already exists and is not an empty directory; choose a new one.")
    _validate_period(start, end)
    if export_format not in FORMATS:
        raise ValidationError(f"Unknown format {export_format!r}: choose one of {', '.join(FORMATS)}.")
    cut = None
    if cut_name:
        cut = DataCut.objects.filter(name=cut_name).first()
        if cut is not None and (start or end) and (start, end) != (cut.start, cut.end):
            raise ValidationError(
                f"The cut {cut_name!r} covers {cut.start or 'the beginning'} to {cut.end or 'its cut time'}; "
                "leave out --start and --end to generate it again, or choose a new cut name."
            )
        if cut is None:
            cut = create_cut(name=cut_name, start=start, end=end)
        parameters, frozen = replace(cut_parameters(cut), format=export_format), cut.frozen
    else:
        parameters = ExportParameters(cut_at=timezone.now(), start=start, end=end, format=export_format)
        frozen = freeze_registry()
    directory.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{directory.name}.partial-", dir=directory.parent))
    try:
        result = write_package(directory=partial, parameters=parameters, frozen=frozen, on_progress=on_progress)
        if directory.exists():
            directory.rmdir()
        partial.rename(directory)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    audit = ExportAudit.objects.create(
        actor=None, actor_label=actor_label, action=ExportAction.COMMAND_EXPORT, cut=cut,
        parameters=_command_parameters(parameters, directory), rows=result.rows, checksum=result.manifest_sha256,
    )
    return CommandExport(result=result, audit=audit, cut=cut)


def _command_parameters(parameters: ExportParameters, directory: Path) -> dict[str, Any]:
    return {**parameters.as_dict(), "out": str(directory)}

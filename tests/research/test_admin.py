"""Research > Data cuts in the Wagtail admin: researchers and admins only, audited creation and download."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from wagtail.models import ModelLogEntry

from accounts.roles import ADMIN, EDITOR, MODERATOR, RESEARCHER
from research.exports.package import FILE_ORDER
from research.models import CutStatus, DataCut, ExportAction, ExportAudit
from research.services import create_cut
from tests.accounts.factories import make_user, sign_in_with_second_factor, staff_user

from .trial import CUT_TIME, build_trial

pytestmark = pytest.mark.django_db

INDEX = "/admin/research/cuts/"


def test_a_researcher_creates_a_cut_follows_it_and_downloads_the_audited_zip(client, django_capture_on_commit_callbacks):
    build_trial()
    researcher = staff_user(RESEARCHER)
    sign_in_with_second_factor(client, researcher)
    assert client.get(INDEX).status_code == 200
    assert "/admin/research/cuts/" in client.get("/admin/").content.decode()  # in the sidebar menu

    with time_machine.travel(CUT_TIME, tick=False), django_capture_on_commit_callbacks(execute=True):
        response = client.post(INDEX + "new/", {"name": "june-primary", "start": "", "end": ""})
    cut = DataCut.objects.get(name="june-primary")
    assert response.status_code == 302
    assert response["Location"] == f"{INDEX}{cut.pk}/"
    assert cut.requested_by == researcher
    assert cut.status == CutStatus.READY  # the outbox ran the task after commit (tasks are eager in tests)

    status = client.get(f"{INDEX}{cut.pk}/status/").json()
    assert status["status"] == "ready"
    assert status["rows_written"] == status["rows_total"] == 20
    page = client.get(f"{INDEX}{cut.pk}/").content.decode()
    assert cut.archive_sha256 in page
    assert cut.manifest_sha256 in page
    assert cut.archive_sha256 in client.get(INDEX).content.decode()

    assert client.get(f"{INDEX}{cut.pk}/download/").status_code == 405  # a download is a POST: audited, never prefetched
    download = client.post(f"{INDEX}{cut.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"] == 'attachment; filename="data-cut-june-primary.zip"'
    body = b"".join(download.streaming_content)
    assert hashlib.sha256(body).hexdigest() == cut.archive_sha256
    assert zipfile.ZipFile(io.BytesIO(body)).namelist() == list(FILE_ORDER)

    audits = list(ExportAudit.objects.filter(cut=cut).order_by("id").values_list("action", "actor", "rows", "checksum"))
    assert audits == [
        (ExportAction.CUT_CREATED, researcher.pk, 20, ""),
        (ExportAction.CUT_WRITTEN, None, 20, cut.manifest_sha256),
        (ExportAction.CUT_DOWNLOADED, researcher.pk, 20, cut.archive_sha256),
    ]
    logged = list(ModelLogEntry.objects.filter(object_id=str(cut.pk)).order_by("id").values_list("action", "user"))
    assert logged == [("research.cut_created", researcher.pk), ("research.cut_downloaded", researcher.pk)]


def test_bad_input_is_refused_with_a_specific_message(client):
    sign_in_with_second_factor(client, staff_user(RESEARCHER))
    create_cut(name="taken", enqueue=False)
    cases = [
        ({"name": "taken"}, "A data cut named &#x27;taken&#x27; already exists"),
        ({"name": "Not OK"}, "lower-case letters, digits"),
        ({"name": "ok", "start": "2026-03-01", "end": "2026-02-01"}, "The end date must be after the start date"),
        ({"name": "ok", "start": "2026-02-31"}, "Enter a valid date"),
    ]
    for data, message in cases:
        response = client.post(INDEX + "new/", data)
        assert response.status_code == 200
        assert message in response.content.decode(), data
    assert list(DataCut.objects.values_list("name", flat=True)) == ["taken"]


@pytest.mark.parametrize("group", [EDITOR, MODERATOR, None])
def test_nobody_but_researchers_and_admins_reaches_data_cuts(client, group):
    cut = create_cut(name="private", enqueue=False)
    user = staff_user(group) if group else make_user()
    sign_in_with_second_factor(client, user)
    for url in [INDEX, INDEX + "new/", f"{INDEX}{cut.pk}/", f"{INDEX}{cut.pk}/status/"]:
        assert client.get(url).status_code in (302, 403), url
    assert client.post(f"{INDEX}{cut.pk}/download/").status_code in (302, 403)
    assert client.post(INDEX + "new/", {"name": "sneaky"}).status_code in (302, 403)
    assert not DataCut.objects.filter(name="sneaky").exists()
    if group:
        assert "/admin/research/cuts/" not in client.get("/admin/").content.decode()


def test_an_admin_may_use_data_cuts(client):
    sign_in_with_second_factor(client, staff_user(ADMIN))
    assert client.get(INDEX).status_code == 200


def test_a_failed_or_interrupted_cut_is_marked_failed_and_never_offered(client):
    sign_in_with_second_factor(client, staff_user(RESEARCHER))
    failed = create_cut(name="failed", enqueue=False)
    DataCut.objects.filter(pk=failed.pk).update(status=CutStatus.FAILED, error="Writing the cut's files failed.")
    interrupted = create_cut(name="interrupted", enqueue=False)
    DataCut.objects.filter(pk=interrupted.pk).update(
        status=CutStatus.RUNNING, rows_written=3, progress_at=timezone.now() - timedelta(minutes=16)
    )
    running = create_cut(name="running", enqueue=False)
    DataCut.objects.filter(pk=running.pk).update(status=CutStatus.RUNNING, progress_at=timezone.now())

    client.get(INDEX)
    assert dict(DataCut.objects.values_list("name", "status")) == {
        "failed": "failed", "interrupted": "failed", "running": "running",
    }
    for cut in (failed, interrupted, running):
        assert client.post(f"{INDEX}{cut.pk}/download/").status_code == 404
        assert "Download the zip" not in client.get(f"{INDEX}{cut.pk}/").content.decode()
    assert "interrupted before it finished" in client.get(f"{INDEX}{interrupted.pk}/").content.decode()
    assert not ExportAudit.objects.filter(action=ExportAction.CUT_DOWNLOADED).exists()


def test_an_error_while_writing_marks_the_cut_failed(monkeypatch):
    from research import services

    cut = create_cut(name="broken", enqueue=False)

    def explode(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(services, "zip_package", explode)
    services.write_cut(cut_id=cut.pk)
    cut.refresh_from_db()
    assert cut.status == CutStatus.FAILED
    assert not cut.is_ready
    assert not cut.archive

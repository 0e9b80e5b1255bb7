"""Who may fetch which PDF and zip: holder, own practice's lead, admin; everyone else gets 404."""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from datetime import date

import pytest

from certificates.models import ArchiveStatus, CertificateArchive

from .factories import PASSWORD, admin_user, build_module, issued_certificate, member, practice

pytestmark = pytest.mark.django_db


def _pdf_url(certificate) -> str:
    return f"/certificates/{certificate.display_code}/pdf/"


@pytest.fixture
def world():
    """Two practices, each with a lead, a learner with a certificate, and a non-lead colleague."""
    module = build_module(title="Team module")
    north, south = practice(name="North Surgery"), practice(name="South Surgery")
    data = {"module": module, "north": north, "south": south}
    for name, where in (("north", north), ("south", south)):
        data[f"{name}_lead"] = member(practice_=where, is_lead=True, first_name="Lee", last_name=f"{name} lead")
        data[f"{name}_colleague"] = member(practice_=where, first_name="Col", last_name=f"{name} colleague")
        learner = member(practice_=where, first_name="Lou", last_name=f"{name} learner")
        data[f"{name}_learner"] = learner
        data[f"{name}_certificate"] = issued_certificate(learner, module)
    return data


def _as(client, membership_or_user):
    user = getattr(membership_or_user, "user", membership_or_user)
    client.force_login(user)
    return client


def test_holder_downloads_their_own_pdf(client, world):
    response = _as(client, world["north_learner"]).get(_pdf_url(world["north_certificate"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="certificate-team-module-2026-03-02')
    assert response.content.startswith(b"%PDF-")
    assert "no-store" in response["Cache-Control"]


def test_lead_of_the_completions_practice_downloads_it(client, world):
    response = _as(client, world["north_lead"]).get(_pdf_url(world["north_certificate"]))
    assert response.status_code == 200


def test_admin_downloads_any_pdf(client, world):
    response = _as(client, admin_user()).get(_pdf_url(world["south_certificate"]))
    assert response.status_code == 200


@pytest.mark.parametrize("who", ["south_learner", "south_lead", "north_colleague", "south_colleague"])
def test_everyone_else_gets_404(client, world, who):
    response = _as(client, world[who]).get(_pdf_url(world["north_certificate"]))
    assert response.status_code == 404


def test_a_lead_whose_membership_ended_loses_access(client, world):
    lead = world["north_lead"]
    lead.ended_on = date(2026, 2, 1)
    lead.save()
    assert _as(client, lead).get(_pdf_url(world["north_certificate"])).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client, world):
    response = client.get(_pdf_url(world["north_certificate"]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_guessed_and_malformed_codes_get_404(client, world):
    _as(client, world["north_lead"])
    assert client.get("/certificates/AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA/pdf/").status_code == 404
    assert client.get("/certificates/nonsense/pdf/").status_code == 404


def test_download_renders_on_demand_when_the_file_is_missing(client, world):
    certificate = world["north_certificate"]
    assert not certificate.pdf  # the on-commit task never ran in this test
    response = _as(client, world["north_learner"]).get(_pdf_url(certificate))
    assert response.content.startswith(b"%PDF-")
    certificate.refresh_from_db()
    assert certificate.pdf
    # Delete the stored file behind the model's back: the download still works.
    certificate.pdf.storage.delete(certificate.pdf.name)
    again = client.get(_pdf_url(certificate))
    assert again.status_code == 200
    assert again.content.startswith(b"%PDF-")


def test_my_certificates_lists_only_the_learners_own(client, world):
    response = _as(client, world["north_learner"]).get("/certificates/")
    html = response.content.decode()
    assert world["north_certificate"].display_code in html
    assert world["south_certificate"].display_code not in html
    assert "Total learning time: 1.5 hours" in html


def test_my_certificates_needs_sign_in(client):
    assert client.get("/certificates/").status_code == 302


# ----- practice zips -----------------------------------------------------------------------------


def _start_zip(client, lead, practice_, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _as(client, lead).post("/certificates/practice/archives/", {"practice": practice_.pk})
    assert response.status_code == 302
    return CertificateArchive.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def test_lead_zips_their_practices_certificates(client, world, django_capture_on_commit_callbacks):
    north = world["north"]
    second = issued_certificate(world["north_colleague"], build_module(title="In-depth module"))
    archive = _start_zip(client, world["north_lead"], north, django_capture_on_commit_callbacks)
    assert archive.status == ArchiveStatus.READY
    assert (archive.progress, archive.total) == (2, 2)

    page = client.get(f"/certificates/practice/archives/{archive.pk}/")
    html = page.content.decode()
    assert '<progress id="archive-progress" max="2" value="2">' in html
    assert 'aria-live="polite"' in html
    assert "Your zip is ready: 2 certificates." in html
    state = client.get(f"/certificates/practice/archives/{archive.pk}/status.json").json()
    assert state["status"] == "ready"
    assert state["download_url"] == f"/certificates/practice/archives/{archive.pk}/download/"

    download = client.get(state["download_url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    bundle = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    names = sorted(bundle.namelist())
    assert len(names) == 3
    assert "manifest.csv" in names
    manifest = list(csv.DictReader(io.StringIO(bundle.read("manifest.csv").decode())))
    assert {row["certificate_code"] for row in manifest} == {
        world["north_certificate"].display_code, second.display_code
    }
    assert world["south_certificate"].display_code not in bundle.read("manifest.csv").decode()
    for row in manifest:
        assert bundle.read(row["file"]).startswith(b"%PDF-")


def test_revoked_certificates_stay_out_of_the_zip(client, world, django_capture_on_commit_callbacks):
    from certificates.services import revoke_certificate

    revoke_certificate(certificate=world["north_certificate"], by=admin_user(), reason="Issued in error.")
    archive = _start_zip(client, world["north_lead"], world["north"], django_capture_on_commit_callbacks)
    assert (archive.status, archive.total) == (ArchiveStatus.READY, 0)


def test_a_lead_cannot_zip_another_practice(client, world):
    response = _as(client, world["north_lead"]).post("/certificates/practice/archives/", {"practice": world["south"].pk})
    assert response.status_code == 404
    assert CertificateArchive.objects.count() == 0


@pytest.mark.parametrize("who", ["north_learner", "north_colleague"])
def test_non_leads_cannot_start_a_zip_or_see_the_practice_page(client, world, who):
    _as(client, world[who])
    assert client.post("/certificates/practice/archives/", {"practice": world["north"].pk}).status_code == 403
    assert client.get("/certificates/practice/").status_code == 403
    assert CertificateArchive.objects.count() == 0


@pytest.mark.parametrize("who", ["south_lead", "north_learner", "north_colleague", "second_north_lead"])
def test_nobody_else_reaches_a_leads_zip(client, world, who, django_capture_on_commit_callbacks):
    archive = _start_zip(client, world["north_lead"], world["north"], django_capture_on_commit_callbacks)
    client.logout()
    other = member(practice_=world["north"], is_lead=True) if who == "second_north_lead" else world[who]
    _as(client, other)
    for suffix in ("", "status.json", "download/"):
        assert client.get(f"/certificates/practice/archives/{archive.pk}/{suffix}").status_code == 404


def test_unknown_archive_ids_get_404(client, world):
    _as(client, world["north_lead"])
    assert client.get(f"/certificates/practice/archives/{uuid.uuid4()}/download/").status_code == 404


def test_a_double_click_follows_the_running_zip(world):
    from certificates.services import request_certificate_archive

    lead = world["north_lead"]
    first = request_certificate_archive(user=lead.user, practice=world["north"])
    second = request_certificate_archive(user=lead.user, practice=world["north"])
    assert first.pk == second.pk
    assert CertificateArchive.objects.count() == 1


def test_practice_page_lists_own_practice_only(client, world):
    response = _as(client, world["north_lead"]).get("/certificates/practice/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Lou north learner" in html
    assert "Lou south learner" not in html


def test_sign_in_with_the_real_login_form_then_download(client, world):
    learner = world["north_learner"]
    response = client.post("/accounts/login/", {"login": learner.user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(_pdf_url(world["north_certificate"])).status_code == 200


def test_a_failed_zip_says_so_and_can_be_retried(client, world, django_capture_on_commit_callbacks):
    from unittest import mock

    with mock.patch("certificates.pdf.render_certificate_pdf", side_effect=OSError("renderer crashed")):
        archive = _start_zip(client, world["north_lead"], world["north"], django_capture_on_commit_callbacks)
    assert archive.status == ArchiveStatus.FAILED
    assert not archive.file
    page = client.get(f"/certificates/practice/archives/{archive.pk}/").content.decode()
    assert "Something went wrong while preparing the zip" in page
    assert "Try again" in page
    retry = _start_zip(client, world["north_lead"], world["north"], django_capture_on_commit_callbacks)
    assert retry.pk != archive.pk
    assert retry.status == ArchiveStatus.READY


def test_a_zip_requested_while_the_broker_is_down_waits_and_is_built_by_the_sweep(
    client, world, django_capture_on_commit_callbacks
):
    from unittest import mock

    from kombu.exceptions import OperationalError

    from outbox.tasks import run_job, sweep_outbox

    with mock.patch.object(run_job, "apply_async", side_effect=OperationalError("broker down")):
        archive = _start_zip(client, world["north_lead"], world["north"], django_capture_on_commit_callbacks)
    assert archive.status == ArchiveStatus.PENDING
    assert client.get(f"/certificates/practice/archives/{archive.pk}/status.json").json()["status"] == "pending"
    sweep_outbox.delay()
    archive.refresh_from_db()
    assert archive.status == ArchiveStatus.READY


def test_the_zip_manifest_never_hands_a_spreadsheet_a_formula(client, world, django_capture_on_commit_callbacks):
    north = world["north"]
    hostile = member(practice_=north, first_name="=HYPERLINK(\"https://example.org\")", last_name="x")
    issued_certificate(hostile, build_module(title="@SUM(1+1)"))
    archive = _start_zip(client, world["north_lead"], north, django_capture_on_commit_callbacks)
    assert archive.status == ArchiveStatus.READY
    with archive.file.open("rb") as stored:
        manifest = zipfile.ZipFile(io.BytesIO(stored.read())).read("manifest.csv").decode()
    rows = list(csv.DictReader(io.StringIO(manifest)))
    ours = next(row for row in rows if row["module"].endswith("@SUM(1+1)"))
    assert ours["module"] == "'@SUM(1+1)"
    assert ours["holder_name"].startswith("'=HYPERLINK(")

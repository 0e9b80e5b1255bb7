"""The research data package against the small trial in tests/research/trial.py, its rows worked out by hand.

Pseudonyms are computed here with the documented recipe (HMAC-SHA256 of the user id under the
test key, first 80 bits in base32), not by the export's own code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.roles import PracticeRole
from accounts.services import update_profile
from certificates.services import save_reflection
from learning import services as learning_services
from modules.models import ModulePage
from modules.services import record_module_version
from practices import services as practice_services
from practices.models import Nation, Practice
from research.exports.codebook import ALL_TABLES
from research.exports.package import FILE_ORDER, zip_package
from research.models import CutStatus, DataCut, ExportAction, ExportAudit
from research.services import export_to_directory, write_cut
from tests.practices.factories import make_member

from .trial import CUT_TIME, IDENTIFYING, PRACTICE_NAMES, at, build_trial

pytestmark = pytest.mark.django_db


def pid(user_id: int) -> str:
    """Return the participant ID by the documented recipe, independently of research.pseudonyms."""
    digest = hmac.new(settings.RESEARCH_PSEUDONYM_KEY.encode(), f"participant:{user_id}".encode(), hashlib.sha256)
    return "P-" + base64.b32encode(digest.digest()[:10]).decode()


def lines(path: Path) -> list[str]:
    raw = path.read_bytes()
    assert b"\r\n" in raw  # RFC 4180 line ends
    assert not raw.startswith(b"\xef\xbb\xbf")  # no BOM
    return raw.decode("utf-8").split("\r\n")[:-1]


def export(tmp_path: Path, folder: str, **kwargs) -> Path:
    out = tmp_path / folder
    export_to_directory(directory=out, actor_label="test", **kwargs)
    return out


def test_the_package_holds_the_rows_worked_out_by_hand(tmp_path):
    trial = build_trial()
    a, b, c, f = (trial["members"][k].user_id for k in "abcf")
    block = trial["check_id"]
    with time_machine.travel(CUT_TIME, tick=False):
        out = export(tmp_path, "first", cut_name="2026-04-primary")

    assert sorted(p.name for p in out.iterdir()) == sorted(FILE_ORDER)
    # a: module page (09:00:00.750 -> whole seconds cut off), sections 1 and 2 (positions 1, 2), a
    # wrong answer that undertakes section 2 and so completes the module at 09:21 (the completion
    # event is recorded after the answer's event), then a right answer. b: two views 60 min apart
    # (visits 1 and 2) with a download in between, completing in-depth. f (P5, withdrew 03-01 keeping
    # data): one view before withdrawal. c is control (a deviation, not an access), d's practice chose
    # deletion, e's is not in the trial.
    head = "participant_id,practice_trial_id,arm,nation,role,event_type,module_slug,module_kind,section_slug,"
    head += "section_position,module_version,visit_number,occurred_at,knowledge_check_block_id,knowledge_check_correct,"
    head += "document_id"
    p1 = "IMP-01,implementation,england"
    assert lines(out / "access_log.csv") == [
        head,
        f"{pid(a)},{p1},gp,module_view,team,team,,,1,1,2026-01-12T09:00:00Z,,,",
        f"{pid(a)},{p1},gp,section_view,team,team,section-1,1,1,1,2026-01-12T09:10:00Z,,,",
        f"{pid(a)},{p1},gp,section_view,team,team,section-2,2,1,1,2026-01-12T09:20:00Z,,,",
        f"{pid(a)},{p1},gp,knowledge_check,team,team,section-2,2,1,1,2026-01-12T09:21:00Z,{block},false,",
        f"{pid(a)},{p1},gp,completion,team,team,,,1,1,2026-01-12T09:21:00Z,,,",
        f"{pid(a)},{p1},gp,knowledge_check,team,team,section-2,2,1,1,2026-01-12T09:22:00Z,{block},true,",
        f"{pid(b)},{p1},practice_nurse,section_view,in-depth,in_depth,section-1,1,1,1,2026-02-02T08:00:00Z,,,",
        f"{pid(b)},{p1},practice_nurse,resource_download,in-depth,in_depth,section-1,1,1,1,2026-02-02T08:05:00Z,,,42",
        f"{pid(b)},{p1},practice_nurse,section_view,in-depth,in_depth,section-2,2,1,2,2026-02-02T09:00:00Z,,,",
        f"{pid(b)},{p1},practice_nurse,completion,in-depth,in_depth,,,1,2,2026-02-02T09:00:00Z,,,",
        f"{pid(f)},IMP-05,implementation,scotland,hca,section_view,team,team,section-1,1,1,1,2026-02-20T10:00:59Z,,,",
    ]
    assert lines(out / "completions.csv") == [
        "participant_id,practice_trial_id,arm,nation,role,module_slug,module_kind,module_version,cycle,completed_at,"
        "engagement_percent",
        f"{pid(a)},{p1},gp,team,team,1,1,2026-01-12T09:21:00Z,100.00",
        f"{pid(b)},{p1},practice_nurse,in-depth,in_depth,1,1,2026-02-02T09:00:00Z,100.00",
    ]
    wrong, right = trial["wrong_option"][0], trial["right_option"][0]
    assert lines(out / "knowledge_check_attempts.csv") == [
        "participant_id,practice_trial_id,arm,nation,module_slug,module_kind,section_slug,section_position,"
        "module_version,knowledge_check_block_id,selected_option_ids,is_correct,attempted_at",
        f"{pid(a)},{p1},team,team,section-2,2,1,{block},{wrong},false,2026-01-12T09:21:00Z",
        f"{pid(a)},{p1},team,team,section-2,2,1,{block},{right},true,2026-01-12T09:22:00Z",
    ]
    assert lines(out / "protocol_deviations.csv") == [
        "participant_id,practice_trial_id,arm,nation,role,module_slug,module_kind,section_slug,section_position,"
        "occurred_at",
        f"{pid(c)},CON-02,control,wales,practice_nurse,team,team,section-1,1,2026-01-14T09:00:00Z",
    ]
    # Trial practices only, by trial ID; the one that chose deletion is listed, with no activity anywhere.
    assert lines(out / "practices.csv") == [
        "trial_id,ods_code,arm,nation,randomised_on,withdrawn_on,withdrawal_data_choice,activity_included",
        "CON-02,A81002,control,wales,2026-01-05,,,true",
        "IMP-01,A81001,implementation,england,2026-01-05,,,true",
        "IMP-03,A81003,implementation,england,2026-01-05,2026-02-16,delete,false",
        "IMP-05,A81005,implementation,scotland,2026-01-12,2026-03-01,retain,true",
    ]

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"] == {
        "cut": "2026-04-primary", "cut_at": "2026-04-01T12:00:00Z", "start": None, "end": None, "format": "csv",
    }
    assert manifest["high_water_ids"]["events"] > 0
    rows = {entry["path"]: entry["rows"] for entry in manifest["files"]}
    assert rows == {
        "access_log.csv": 11, "completions.csv": 2, "knowledge_check_attempts.csv": 2, "protocol_deviations.csv": 1,
        "practices.csv": 4, "codebook.csv": sum(len(t.columns) for t in ALL_TABLES), "codebook.md": None,
        "datapackage.json": None,
    }
    for entry in manifest["files"]:
        assert hashlib.sha256((out / entry["path"]).read_bytes()).hexdigest() == entry["sha256"]

    # Every column of every file is in the codebook, from the same source as the headers.
    codebook = lines(out / "codebook.csv")
    for table in ALL_TABLES:
        header = lines(out / table.path)[0].split(",")
        assert [row.split(",")[1] for row in codebook[1:] if row.startswith(table.path + ",")] == header
        for column in header:
            assert f"`{column}`" in (out / "codebook.md").read_text()

    audit = ExportAudit.objects.get(action=ExportAction.COMMAND_EXPORT)
    assert (audit.cut.name, audit.rows, audit.checksum) == ("2026-04-primary", 20, hashlib.sha256(
        (out / "manifest.json").read_bytes()).hexdigest())


def test_a_period_keeps_what_happened_from_start_to_before_end(tmp_path):
    trial = build_trial()
    b = trial["members"]["b"].user_id
    with time_machine.travel(CUT_TIME, tick=False):
        out = export(tmp_path, "february", start=date(2026, 2, 1), end=date(2026, 2, 20))
    # f's view at 02-20 10:00:59 is on the end date (exclusive); a's January rows are before the start.
    assert [row.split(",")[0] for row in lines(out / "access_log.csv")[1:]] == [pid(b)] * 4
    assert len(lines(out / "completions.csv")) == 2
    assert len(lines(out / "knowledge_check_attempts.csv")) == 1
    assert len(lines(out / "protocol_deviations.csv")) == 1
    # The registry is not a period's: every trial practice is listed.
    assert len(lines(out / "practices.csv")) == 5


def test_a_cut_generated_again_after_new_activity_learners_and_edits_is_byte_identical(tmp_path):
    trial = build_trial()
    team: ModulePage = trial["team"]
    t1, t2 = trial["team_sections"]
    with time_machine.travel(CUT_TIME, tick=False):
        first = export(tmp_path, "first", cut_name="primary")
        cut = DataCut.objects.get(name="primary")
        write_cut(cut_id=cut.pk)
    cut.refresh_from_db()
    assert cut.status == CutStatus.READY
    assert cut.is_ready

    with time_machine.travel(datetime(2026, 5, 4, 9, 0, tzinfo=CUT_TIME.tzinfo), tick=False):
        # New activity, a new learner, a role change, a module's slug and kind edited and republished
        # (a new version), its sections reordered, a practice's registry entry edited, a back-dated event.
        a = trial["members"]["a"]
        learning_services.record_access(membership=a, module=team, section=t1, at=at(5, 4, 9, 0))
        newcomer = make_member(trial["practices"][0], role=PracticeRole.HCA, on=date(2026, 5, 1))
        learning_services.record_access(membership=newcomer, module=team, at=at(5, 4, 9, 1))
        learning_services.record_access(membership=newcomer, module=team, section=t1, at=at(3, 2, 9, 0))
        practice_services.change_member_role(membership=a, role=PracticeRole.PRACTICE_MANAGER)
        team.slug, team.kind = "team-renamed", "other"
        team.save_revision().publish()
        t2.refresh_from_db()
        t2.move(t1, pos="left")
        record_module_version(module=ModulePage.objects.get(pk=team.pk))
        Practice.objects.filter(trial_id="IMP-05").update(nation=Nation.WALES, randomised_on=date(2026, 1, 19))
        second = export(tmp_path, "second", cut_name="primary")
        write_cut(cut_id=cut.pk)  # a ready cut is left as it is

    for name in FILE_ORDER:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    # The zip the admin offers packs the same bytes, and packing again gives the same zip.
    with zipfile.ZipFile(cut.archive.path) as bundle:
        assert bundle.namelist() == list(FILE_ORDER)
        for name in FILE_ORDER:
            assert bundle.read(name) == (first / name).read_bytes(), name
    again = tmp_path / "again.zip"
    zip_package(directory=second, target=again, cut_at=cut.cut_at)
    assert hashlib.sha256(again.read_bytes()).hexdigest() == cut.archive_sha256

    # A fresh export (no cut) does see the new state.
    with time_machine.travel(datetime(2026, 5, 4, 10, 0, tzinfo=CUT_TIME.tzinfo), tick=False):
        fresh = export(tmp_path, "fresh")
    assert "team-renamed" in (fresh / "access_log.csv").read_text()
    assert len(lines(fresh / "access_log.csv")) == len(lines(first / "access_log.csv")) + 3


def test_no_file_holds_names_emails_registration_numbers_reflections_or_invitations(tmp_path):
    trial = build_trial()
    members = trial["members"]
    secrets_in_records = {"8675309", "93Q7152K", "QX918273"}
    update_profile(user=members["a"].user, first_name=IDENTIFYING["a"]["first_name"],
                   last_name=IDENTIFYING["a"]["last_name"], registration_body="GMC", registration_number="8675309")
    update_profile(user=members["b"].user, first_name=IDENTIFYING["b"]["first_name"],
                   last_name=IDENTIFYING["b"]["last_name"], registration_body="NMC", registration_number="93Q7152K")
    update_profile(user=members["f"].user, first_name=IDENTIFYING["f"]["first_name"],
                   last_name=IDENTIFYING["f"]["last_name"], registration_body="HCPC", registration_number="QX918273")
    reflection = "Xylophonic epiphany about spacer technique"
    save_reflection(user=members["a"].user, module=trial["team"], body=reflection)
    invitation = practice_services.invite_colleague(
        practice=trial["practices"][0], invited_by=members["a"].user, email="invitee.umbrage@surgery-one.example",
        role=PracticeRole.GP, first_name="Ignatius", last_name="Umbrage",
    )
    with time_machine.travel(CUT_TIME, tick=False):
        out = export(tmp_path, "package", cut_name="checked")
        write_cut(cut_id=DataCut.objects.get(name="checked").pk)

    forbidden = set(secrets_in_records) | {reflection, "Xylophonic", invitation.token, "Ignatius", "Umbrage",
                                           "invitee.umbrage", "Data-sharing concerns"}
    for details in IDENTIFYING.values():
        forbidden |= {details["first_name"], details["last_name"], details["email"], details["email"].split("@")[0],
                      details["email"].split("@")[1]}
    forbidden |= set(PRACTICE_NAMES) | {name.split()[0] for name in PRACTICE_NAMES}
    blobs = {path.name: path.read_bytes() for path in out.iterdir()}
    with zipfile.ZipFile(DataCut.objects.get(name="checked").archive.path) as bundle:
        blobs |= {f"zip:{name}": bundle.read(name) for name in bundle.namelist()}
    assert len(blobs) == 2 * len(FILE_ORDER)
    for name, blob in blobs.items():
        text = blob.decode("utf-8").lower()
        for needle in forbidden:
            assert needle.lower() not in text, (name, needle)
        assert "@" not in text, name  # no email address of any kind


def test_datapackage_validates_with_frictionless_and_reads_typed_rows(tmp_path):
    frictionless = pytest.importorskip("frictionless")
    build_trial()
    with time_machine.travel(CUT_TIME, tick=False):
        out = export(tmp_path, "package")
    report = frictionless.validate(str(out / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = frictionless.Package(str(out / "datapackage.json"))
    events = package.get_resource("access_log").read_rows()
    assert len(events) == 11
    first, answer = events[0], events[3]
    assert first["occurred_at"] == datetime(2026, 1, 12, 9, 0, 0, tzinfo=first["occurred_at"].tzinfo)
    assert first["occurred_at"].utcoffset().total_seconds() == 0
    assert first["section_position"] is None
    assert first["module_version"] == 1
    assert answer["knowledge_check_correct"] is False
    assert answer["section_position"] == 2
    assert events[7]["document_id"] == 42
    completions = package.get_resource("completions").read_rows()
    assert [float(row["engagement_percent"]) for row in completions] == [100.0, 100.0]
    practices = package.get_resource("practices").read_rows()
    assert practices[2]["withdrawn_on"] == date(2026, 2, 16)
    assert practices[2]["activity_included"] is False


def test_the_command_writes_the_package_and_refuses_bad_input_writing_nothing(tmp_path, capsys):
    build_trial()
    with time_machine.travel(CUT_TIME, tick=False):
        call_command("export_access_log", "--out", str(tmp_path / "out"), "--start", "2026-01-01", "--cut", "jan-on")
    printed = capsys.readouterr().out
    assert "access_log.csv" in printed
    assert "Wrote cut jan-on (2026-04-01T12:00:00Z)" in printed
    bad = [
        (["--start", "2026-13-01"], "--start must be a date as YYYY-MM-DD, got '2026-13-01'."),
        (["--start", "2026-02-01", "--end", "2026-02-01"], "The end date must be after the start date"),
        (["--cut", "Has Spaces"], "--cut must be 1 to 80 lower-case letters"),
        (["--cut", "jan-on", "--start", "2026-02-01"], "The cut 'jan-on' covers 2026-01-01 to its cut time"),
    ]
    for args, message in bad:
        with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
            call_command("export_access_log", "--out", str(tmp_path / "never"), *args)
        assert not (tmp_path / "never").exists()
    with pytest.raises(CommandError, match="already exists and is not an empty directory"):
        call_command("export_access_log", "--out", str(tmp_path / "out"))
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no partial folder left behind


def test_an_export_without_a_key_refuses_to_run(tmp_path, settings):
    settings.RESEARCH_PSEUDONYM_KEY = ""
    with pytest.raises(CommandError, match="RESEARCH_PSEUDONYM_KEY is not set"):
        call_command("export_access_log", "--out", str(tmp_path / "out"))
    assert list(tmp_path.iterdir()) == []


def test_export_audit_rows_are_append_only():
    audit = ExportAudit.objects.create(actor_label="test", action=ExportAction.COMMAND_EXPORT, parameters={})
    audit.rows = 5
    with pytest.raises(PermissionDenied):
        audit.save()
    with pytest.raises(PermissionDenied):
        audit.delete()
    with pytest.raises(PermissionDenied):
        ExportAudit.objects.update(rows=1)
    with pytest.raises(PermissionDenied):
        ExportAudit.objects.all().delete()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_database_refuses_changes_to_the_export_audit():
    from django.db import DatabaseError, connection, transaction

    audit = ExportAudit.objects.create(actor_label="test", action=ExportAction.COMMAND_EXPORT, parameters={})
    for sql in ("UPDATE research_exportaudit SET rows = 1 WHERE id = %s", "DELETE FROM research_exportaudit WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [audit.pk])


def test_a_cut_name_must_be_new_and_well_formed():
    from research.services import create_cut

    create_cut(name="one", enqueue=False)
    with pytest.raises(ValidationError, match="already exists"):
        create_cut(name="one", enqueue=False)
    with pytest.raises(ValidationError, match="lower-case letters"):
        create_cut(name="../etc", enqueue=False)
    with pytest.raises(ValidationError, match="end date must be after"):
        create_cut(name="two", start=date(2026, 3, 1), end=date(2026, 2, 1), enqueue=False)


def test_xapi_format_also_writes_the_events_as_pseudonymous_xapi_statements(tmp_path, settings):
    settings.WAGTAILADMIN_BASE_URL = "https://learning.example.org"
    trial = build_trial()
    a = trial["members"]["a"].user_id
    with time_machine.travel(CUT_TIME, tick=False):
        call_command("export_access_log", "--out", str(tmp_path / "x"), "--format", "xapi", "--cut", "x")
        call_command("export_access_log", "--out", str(tmp_path / "y"), "--format", "xapi", "--cut", "x")
    raw = (tmp_path / "x" / "access_log.xapi.jsonl").read_bytes()
    assert raw == (tmp_path / "y" / "access_log.xapi.jsonl").read_bytes()
    statements = [json.loads(line) for line in raw.decode().splitlines()]
    assert len(statements) == 11
    assert len({s["id"] for s in statements}) == 11
    site = "https://learning.example.org"
    first, answer = statements[0], statements[3]
    assert first["actor"] == {"objectType": "Agent", "account": {"homePage": site, "name": pid(a)}}
    assert first["verb"]["id"] == "http://adlnet.gov/expapi/verbs/launched"
    assert first["object"]["id"] == f"{site}/xapi/activities/module/team"
    assert first["timestamp"] == "2026-01-12T09:00:00Z"
    assert first["version"] == "1.0.3"
    assert answer["verb"]["id"] == "http://adlnet.gov/expapi/verbs/answered"
    assert answer["object"]["id"] == f"{site}/xapi/activities/module/team/section/section-2/check/{trial['check_id']}"
    assert answer["result"] == {"success": False}
    assert answer["context"]["extensions"][f"{site}/xapi/extensions/practice-trial-id"] == "IMP-01"
    assert [s["verb"]["display"]["en-GB"] for s in statements].count("completed") == 2
    assert all("mbox" not in json.dumps(s["actor"]) for s in statements)
    manifest = json.loads((tmp_path / "x" / "manifest.json").read_text())
    assert manifest["parameters"]["format"] == "xapi"
    assert {
        k: v for k, v in manifest["files"][-1].items() if k in ("path", "rows")
    } == {"path": "access_log.xapi.jsonl", "rows": 11}


def test_a_cell_a_spreadsheet_would_read_as_a_formula_starts_with_a_quote(tmp_path):
    from tests.learning.factories import build_module, sections_of

    module = build_module(slug="team", kind="team", sections=[(1, 0)])
    practice = Practice.objects.create(ods_code="A81009", name="Formula", nation="england", arm="implementation",
                                       trial_id="=HYPERLINK(1)", randomised_on=date(2026, 1, 5))
    member = make_member(practice, role=PracticeRole.GP, on=date(2026, 1, 1))
    learning_services.record_access(membership=member, module=module, section=sections_of(module)[0],
                                    at=at(1, 12, 9, 0))
    with time_machine.travel(CUT_TIME, tick=False):
        out = export(tmp_path, "formula", export_format="xapi")
    assert lines(out / "access_log.csv")[1].split(",")[1] == "'=HYPERLINK(1)"
    assert lines(out / "practices.csv")[1].split(",")[0] == "'=HYPERLINK(1)"
    # JSON is read by no spreadsheet: the xAPI statement keeps the value as it is.
    statement = json.loads((out / "access_log.xapi.jsonl").read_text().splitlines()[0])
    assert "=HYPERLINK(1)" in statement["context"]["extensions"].values()

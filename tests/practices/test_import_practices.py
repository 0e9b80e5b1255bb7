from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from practices.models import Arm, Practice
from tests.practices.factories import make_practice

pytestmark = pytest.mark.django_db

HEADER = "ods_code,name,nation,trial_id,arm,randomised_on\n"
GOOD = HEADER + (
    "A81001,Oak Tree Surgery,England,P-001,implementation,2025-01-13\n"
    "w00002,Bryn Health Centre,Wales,P-002,control,20/01/2025\n"
    "Z00003,Lough View Practice,Northern Ireland,,not_in_trial,\n"
)


def write(tmp_path, text: str, *, bom: bool = False, name: str = "practices.csv"):
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def run(path, *args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_practices", str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing(path, *args) -> list[str]:
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_practices", str(path), *args, stdout=StringIO(), stderr=err)
    return err.getvalue().splitlines()


def registry() -> list[tuple]:
    return list(Practice.objects.order_by("ods_code").values_list("ods_code", "name", "nation", "trial_id", "arm", "randomised_on"))


def test_good_file_creates_practices_and_a_rerun_changes_nothing(tmp_path):
    path = write(tmp_path, GOOD, bom=True)
    out, err = run(path)
    assert out.strip() == "3 created, 0 updated, 0 unchanged"
    assert err == ""
    assert registry() == [
        ("A81001", "Oak Tree Surgery", "england", "P-001", Arm.IMPLEMENTATION, date(2025, 1, 13)),
        ("W00002", "Bryn Health Centre", "wales", "P-002", Arm.CONTROL, date(2025, 1, 20)),
        ("Z00003", "Lough View Practice", "northern_ireland", None, Arm.NOT_IN_TRIAL, None),
    ]
    join_codes = list(Practice.objects.order_by("ods_code").values_list("join_code", flat=True))
    out, _ = run(path)
    assert out.strip() == "0 created, 0 updated, 3 unchanged"
    assert list(Practice.objects.order_by("ods_code").values_list("join_code", flat=True)) == join_codes


def test_changed_rows_are_updated(tmp_path):
    run(write(tmp_path, GOOD))
    changed = GOOD.replace("Oak Tree Surgery", "Oak Tree Medical Centre").replace(
        "Z00003,Lough View Practice,Northern Ireland,,not_in_trial,", "Z00003,Lough View Practice,Northern Ireland,P-003,control,2025-03-03"
    )
    out, _ = run(write(tmp_path, changed, name="changed.csv"))
    assert out.strip() == "0 created, 2 updated, 1 unchanged"
    assert Practice.objects.get(ods_code="A81001").name == "Oak Tree Medical Centre"
    assert Practice.objects.get(ods_code="Z00003").arm == Arm.CONTROL


def test_dry_run_reports_and_writes_nothing(tmp_path):
    out, _ = run(write(tmp_path, GOOD), "--dry-run")
    assert out.strip() == "3 created, 0 updated, 0 unchanged (dry run: nothing was written)"
    assert not Practice.objects.exists()


def test_every_bad_row_is_reported_with_line_and_column_and_nothing_is_written(tmp_path):
    make_practice(ods_code="B12345", trial_id="TAKEN-1", name="Existing Practice")
    before = registry()
    bad = HEADER + (
        "A81001,Oak Tree Surgery,England,P-001,implementation,2025-01-13\n"  # line 2: good
        "A8100,Short Code,England,P-002,implementation,2025-01-13\n"  # line 3
        "A81003,,Atlantis,P-003,sideways,2025-13-45\n"  # line 4
        "A81001,Again,England,P-004,control,2025-01-13\n"  # line 5: duplicate ods
        "A81005,No Trial Id,England,,control,\n"  # line 6
        "A81006,Taken Id,Scotland,TAKEN-1,implementation,2025-01-13\n"  # line 7
        "A81007,Short row,England\n"  # line 8
    )
    lines = failing(write(tmp_path, bad))
    assert lines == [
        "line 3, column ods_code: A8100 is not a GP practice ODS code: expected one letter and five digits, e.g. A81001.",
        "line 4, column name: required",
        "line 4, column nation: 'Atlantis' is not one of: england, scotland, wales, northern_ireland",
        "line 4, column arm: 'sideways' is not one of: implementation, control, not_in_trial",
        "line 4, column randomised_on: '2025-13-45' is not a date like 2025-01-31",
        "line 5, column ods_code: A81001 is already on line 2 (duplicate)",
        "line 6, column trial_id: required for a practice in the control arm",
        "line 6, column randomised_on: required for a practice in the control arm",
        "line 7, column trial_id: TAKEN-1 already belongs to B12345 (Existing Practice)",
        "line 8, column (row): expected 6 values, found 3",
    ]
    assert registry() == before  # not even the good line 2 was written


def test_header_problems_are_reported_on_line_1(tmp_path):
    lines = failing(write(tmp_path, "ods_code,name,country,trial_id,arm,randomised_on\nA81001,X,England,,not_in_trial,\n"))
    assert lines == [
        "line 1, column nation: missing column",
        "line 1, column country: unexpected column; expected exactly: ods_code,name,nation,trial_id,arm,randomised_on",
    ]
    assert not Practice.objects.exists()


def test_an_empty_or_non_utf8_file_is_refused(tmp_path):
    assert failing(write(tmp_path, ""))[0].startswith("line 1, column (row): the file is empty")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes((HEADER + "A81001,Caf\xe9 Surgery,England,,not_in_trial,\n").encode("latin-1"))
    assert failing(latin1) == [
        'line 2, column (row): the file is not UTF-8 text; save it from your spreadsheet as "CSV UTF-8"'
    ]


def test_a_randomised_practice_cannot_be_moved_to_another_arm_by_import(tmp_path):
    run(write(tmp_path, GOOD))
    moved = GOOD.replace("P-001,implementation,2025-01-13", "P-001,control,2025-01-14")
    lines = failing(write(tmp_path, moved, name="moved.csv"))
    assert lines[0].startswith("line 2, column arm: A81001 was randomised to implementation")
    assert lines[1].startswith("line 2, column randomised_on: A81001 was randomised on 2025-01-13")
    assert Practice.objects.get(ods_code="A81001").arm == Arm.IMPLEMENTATION


def test_missing_file_is_a_clear_error():
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_practices", "/nonexistent/practices.csv", stdout=StringIO(), stderr=StringIO())


def test_control_characters_are_refused_with_their_line_and_nothing_is_written(tmp_path):
    text = HEADER + (
        "A81001,Oak Tree Surgery,England,P-001,implementation,2025-01-13\n"
        "A81002,Elm\x00 Surgery,England,P-002,control,2025-01-13\n"
        '"A81003","Ash\r\nSurgery",England,P-003,control,2025-01-13\n'
        "A81004,Birch Surgery,England,P-\x1b004,control,2025-01-13\n"
        "A81005,Tab\tSurgery,England,P-005,control,2025-01-13\n"
    )
    lines = failing(write(tmp_path, text))
    assert "line 3, column name: contains the control character U+0000 (NUL); remove it" in lines
    assert "line 4, column name: contains the control character U+000D (CARRIAGE RETURN); remove it" in lines
    assert "line 6, column trial_id: contains the control character U+001B; remove it" in lines
    assert "line 7, column name: contains the control character U+0009 (TAB); remove it" in lines
    assert not any(line.startswith("line 2,") for line in lines)
    assert Practice.objects.count() == 0

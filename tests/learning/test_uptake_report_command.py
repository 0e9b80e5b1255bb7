"""The `uptake_report` command: JSON and CSV output of the hand-calculated trial, and bad arguments."""

from __future__ import annotations

import csv
import io
import json

import pytest
import time_machine
from django.core.management import ManagementUtility, call_command
from django.core.management.base import CommandError

from learning.models import LearningEvent

from .test_uptake import EXPECTED_REPORT, NOW, build_trial

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("uptake_report", *args, stdout=out)
    return out.getvalue()


def test_json_output_is_the_hand_calculated_report():
    build_trial()
    assert json.loads(run()) == EXPECTED_REPORT
    assert json.loads(run("--format", "json", "--window-weeks", "12")) == EXPECTED_REPORT


def test_json_parameters_and_period():
    build_trial()
    data = json.loads(run("--start", "2026-02-01", "--end", "2026-03-01", "--window-weeks", "14"))
    assert data["parameters"] == {"start": "2026-02-01", "end": "2026-03-01", "window_weeks": 14}
    p1_team = data["practices"][0]["modules"]["team"]
    # m at 02-01 00:00 (start inclusive) and b on 02-02; a's January visits are outside.
    assert (p1_team["accesses"], p1_team["learners"], p1_team["completers"]) == (2, 2, 2)
    assert p1_team["first_access_at"] == "2026-02-01T00:00:00Z"
    implementation_team = data["arms"][0]["modules"]["team"]
    # accesses [2, 1]; completers [2, 0].
    assert implementation_team["accesses"] == {"median": 1.5, "q1": 1.25, "q3": 1.75, "min": 1, "max": 2}
    assert implementation_team["completers"] == {"median": 1.0, "q1": 0.5, "q3": 1.5, "min": 0, "max": 2}
    assert implementation_team["practice_completed"] == {"count": 1, "share": 0.5}


def test_csv_has_one_row_per_practice_per_module():
    build_trial()
    rows = list(csv.DictReader(io.StringIO(run("--format", "csv"))))
    assert [(r["ods_code"], r["module"]) for r in rows] == [
        ("A81001", "team"), ("A81001", "in-depth"), ("A81002", "team"), ("A81002", "in-depth"),
        ("A81003", "team"), ("A81003", "in-depth"), ("B82004", "team"), ("B82004", "in-depth"),
    ]
    assert rows[0] == {
        "trial_id": "IMP-01", "ods_code": "A81001", "arm": "implementation", "randomised_on": "2026-01-05",
        "withdrawn_on": "", "module": "team", "kind": "team", "module_status": "live", "accesses": "4", "learners": "3", "completers": "3",
        "completers_by_role": "gp=1;practice_manager=1;practice_nurse=1",
        "accesses_by_role": "gp=2;practice_manager=1;practice_nurse=1",
        "learners_by_role": "gp=1;practice_manager=1;practice_nurse=1",
        "first_access_at": "2026-01-12T09:00:00Z", "first_completion_at": "2026-01-12T09:59:59Z",
        "first_access_days_from_randomisation": "7", "first_completion_days_from_randomisation": "7",
        "accessed_within_window": "true", "practice_completed": "true", "completed_within_window": "true",
        "protocol_deviations": "0",
    }
    assert rows[1]["completed_within_window"] == "false"
    assert rows[3]["withdrawn_on"] == "2026-02-16"
    assert (rows[4]["accesses"], rows[4]["protocol_deviations"], rows[4]["completers_by_role"]) == ("0", "2", "")
    # Not in trial: no trial ID, no randomisation, window flags empty.
    assert (rows[7]["trial_id"], rows[7]["randomised_on"], rows[7]["completed_within_window"]) == ("", "", "")
    assert rows[7]["completers_by_role"] == "clinical_pharmacist=1"
    assert (rows[2]["accesses_by_role"], rows[2]["learners_by_role"]) == ("gp=2;hca=1", "gp=1;hca=1")
    assert (rows[6]["accesses_by_role"], rows[6]["learners_by_role"]) == ("reception_admin=1", "reception_admin=1")


def test_csv_arms():
    build_trial()
    rows = list(csv.DictReader(io.StringIO(run("--format", "csv", "--arms"))))
    assert [(r["arm"], r["module"]) for r in rows] == [
        ("implementation", "team"), ("implementation", "in-depth"), ("control", "team"), ("control", "in-depth"),
        ("not_in_trial", "team"), ("not_in_trial", "in-depth"),
    ]
    assert rows[0] == {
        "arm": "implementation", "practices": "2", "module": "team", "kind": "team", "module_status": "live",
        "accesses_median": "3.50", "accesses_q1": "3.25", "accesses_q3": "3.75", "accesses_min": "3", "accesses_max": "4",
        "learners_median": "2.50", "learners_q1": "2.25", "learners_q3": "2.75", "learners_min": "2", "learners_max": "3",
        "completers_median": "2.00", "completers_q1": "1.50", "completers_q3": "2.50", "completers_min": "1",
        "completers_max": "3",
        "practice_completed_count": "2", "practice_completed_share": "1.0000",
        "completed_within_window_count": "2", "completed_within_window_share": "1.0000",
    }
    assert (rows[1]["completed_within_window_count"], rows[1]["completed_within_window_share"]) == ("1", "0.5000")
    assert (rows[4]["completed_within_window_count"], rows[4]["completed_within_window_share"]) == ("", "")


def test_empty_registry_prints_an_empty_report():
    assert json.loads(run()) == {
        "generated_at": "2026-05-01T12:00:00Z",
        "parameters": {"start": None, "end": None, "window_weeks": 12},
        "modules": [],
        "practices": [],
        "arms": [],
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--start", "2026-13-01"], "--start must be a date as YYYY-MM-DD, got '2026-13-01'."),
        (["--end", "01/03/2026"], "--end must be a date as YYYY-MM-DD, got '01/03/2026'."),
        (["--start", "20260101"], "--start must be a date as YYYY-MM-DD, got '20260101'."),
        (["--start", "2026-03-01", "--end", "2026-03-01"], "--start (2026-03-01) must be before --end (2026-03-01)."),
        (["--start", "2026-03-02", "--end", "2026-03-01"], "--start (2026-03-02) must be before --end (2026-03-01)."),
        (["--window-weeks", "-1"], "--window-weeks must be 1 or more, got -1."),
        (["--window-weeks", "0"], "--window-weeks must be 1 or more, got 0."),
        (["--window-weeks", "twelve"], "--window-weeks must be a whole number of weeks, got 'twelve'."),
        (["--window-weeks", "521"], "--window-weeks must be at most 520 (ten years), got 521."),
        (
            ["--window-weeks", "99999999999999999999"],
            "--window-weeks must be at most 520 (ten years), got 99999999999999999999.",
        ),
        (["--start", "0000-01-01"], "--start must be a date as YYYY-MM-DD, got '0000-01-01'."),
        (["--arms"], "--arms applies to --format csv; the JSON output always includes the arms."),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(args, message):
    with pytest.raises(CommandError) as error:
        call_command("uptake_report", *args, stdout=io.StringIO())
    assert str(error.value) == message


def test_unknown_format_is_refused():
    with pytest.raises(CommandError, match="invalid choice: 'xml'"):
        call_command("uptake_report", "--format", "xml", stdout=io.StringIO())


def test_bad_argument_exits_non_zero_from_the_command_line(capsys):
    with pytest.raises(SystemExit) as exit_:
        ManagementUtility(["manage.py", "uptake_report", "--window-weeks", "-3"]).execute()
    assert exit_.value.code == 1
    captured = capsys.readouterr()
    assert "--window-weeks must be 1 or more, got -3." in captured.err
    assert captured.out == ""


def test_report_changes_nothing():
    build_trial()
    before = LearningEvent.objects.count()
    run("--format", "csv")
    assert LearningEvent.objects.count() == before


def test_csv_text_cells_never_start_a_formula_and_negative_numbers_stay_numbers():
    from datetime import UTC, date, datetime

    from learning import services

    from .factories import build_module, learner, practice, sections_of

    module = build_module(slug="team")
    early = learner(practice_=practice(trial_id="=2+5+cmd|' /C calc'!A0", randomised_on=date(2026, 3, 5)))
    section = sections_of(module)[0]
    services.record_access(membership=early, module=module, section=section, at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    (row,) = [r for r in csv.DictReader(io.StringIO(run("--format", "csv"))) if r["module"] == "team"]
    assert row["trial_id"] == "'=2+5+cmd|' /C calc'!A0"
    # Opened three days before randomisation: a number, so not escaped.
    assert row["first_access_days_from_randomisation"] == "-3"

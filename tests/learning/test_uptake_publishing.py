"""The trial's figures never change because of publishing: unpublished and retired modules stay in the report.

The hand-worked trial of test_uptake.py is built, its whole report (JSON and both CSVs) is taken,
then modules and sections are unpublished and retired as editors would; every figure must be
the same afterwards, and the report says which modules are no longer live.
"""

from __future__ import annotations

import csv
import io

import pytest
import time_machine

from learning.selectors.uptake import uptake_report
from modules.models import ModulePage, SectionPage
from modules.services import retire_page
from tests.modules.factories import staff_user

from .factories import build_module
from .test_uptake import EXPECTED_ARMS, EXPECTED_PRACTICES, NOW, build_trial
from .test_uptake_report_command import run

pytestmark = pytest.mark.django_db


def _report() -> dict:
    with time_machine.travel(NOW, tick=False):
        return uptake_report().as_dict()


def _csv(*args: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(run("--format", "csv", *args))))


def _without_status(rows: list[dict]) -> list[dict]:
    return [{key: value for key, value in row.items() if key != "module_status"} for row in rows]


def test_unpublishing_and_retiring_modules_changes_no_figure():
    trial = build_trial()
    team, in_depth = trial["team"], trial["in_depth"]
    before = _report()
    practice_rows_before = _csv()
    arm_rows_before = _csv("--arms")
    assert before["practices"] == EXPECTED_PRACTICES

    # An editor unpublishes the team module (its sections go with it) and a moderator retires the
    # in-depth module and, first, one of its sections.
    team.unpublish()
    moderator = staff_user(superuser=True)
    section = SectionPage.objects.child_of(in_depth).order_by("path").first()
    retire_page(page=section, user=moderator, note="Replaced by a shorter section.")
    retire_page(page=ModulePage.objects.get(pk=in_depth.pk), user=moderator, note="The 2027 edition replaces it.")
    after = _report()

    assert not ModulePage.objects.filter(live=True, slug__in=["team", "in-depth"]).exists()
    assert after["practices"] == before["practices"] == EXPECTED_PRACTICES
    assert after["arms"] == before["arms"] == EXPECTED_ARMS
    assert [(m["slug"], m["status"]) for m in after["modules"]] == [("team", "unpublished"), ("in-depth", "retired")]
    assert after["modules"][1]["retired_at"] is not None
    practice_rows_after = _csv()
    arm_rows_after = _csv("--arms")
    assert _without_status(practice_rows_after) == _without_status(practice_rows_before)
    assert _without_status(arm_rows_after) == _without_status(arm_rows_before)
    assert {row["module_status"] for row in practice_rows_before} == {"live"}
    assert {(row["module"], row["module_status"]) for row in practice_rows_after} == {
        ("team", "unpublished"), ("in-depth", "retired"),
    }
    assert {(row["module"], row["module_status"]) for row in arm_rows_after} == {
        ("team", "unpublished"), ("in-depth", "retired"),
    }


def test_a_module_nobody_used_leaves_the_report_when_unpublished():
    build_trial()
    unused = build_module(slug="unused", kind="other", sections=[(1, 0)])
    assert [m["slug"] for m in _report()["modules"]] == ["team", "in-depth", "unused"]

    unused.unpublish()

    assert [m["slug"] for m in _report()["modules"]] == ["team", "in-depth"]


def test_a_republished_module_is_live_again_with_the_same_figures():
    build_trial()
    team = ModulePage.objects.get(slug="team")
    before = _report()
    team.unpublish()
    ModulePage.objects.get(pk=team.pk).save_revision().publish()

    after = _report()

    assert after == before

"""The same numbers everywhere: the uptake_report command, the dashboard and the API on one trial.

Every per-practice figure and every per-arm summary is compared, for the whole period and for a
dated one, before the rollups are filled (all raw), after (rollups), and with a view recorded
after the fill (rollups plus the raw tail). Built on the uptake tests' hand-worked trial.
"""

from __future__ import annotations

import io
import json
from datetime import date

import pytest
import time_machine
from django.core.management import call_command

from learning import rollups, services
from learning.selectors.uptake import arm_as_dict, practice_as_dict
from research.dashboard.data import Filters, report_for
from tests.learning.factories import learner, sections_of
from tests.learning.test_uptake import EXPECTED_REPORT, NOW, at, build_trial

from .test_api import bearer, researcher_with_token

pytestmark = pytest.mark.django_db

PERIODS = [
    ({}, ()),
    ({"start": "2026-02-01", "end": "2026-03-01", "window_weeks": "6"},
     ("--start", "2026-02-01", "--end", "2026-03-01", "--window-weeks", "6")),
    ({"start": "2026-01-13", "window_weeks": "1"}, ("--start", "2026-01-13", "--window-weeks", "1")),
]


def figures_everywhere(client, secret: str, params: dict, args: tuple) -> tuple[dict, dict, dict]:
    """Return the command's, the dashboard's and the API's report for the same parameters."""
    out = io.StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("uptake_report", *args, stdout=out)
        api_practices = client.get("/api/v1/uptake/practices/", params, **bearer(secret)).json()
        api_arms = client.get("/api/v1/uptake/arms/", params, **bearer(secret)).json()
    command = json.loads(out.getvalue())
    filters = Filters(
        start=date.fromisoformat(params["start"]) if "start" in params else None,
        end=date.fromisoformat(params["end"]) if "end" in params else None,
        window_weeks=int(params.get("window_weeks", 12)),
    )
    dashboard = report_for(filters)
    return command, {"practices": [practice_as_dict(p) for p in dashboard.practices],
                     "arms": [arm_as_dict(a) for a in dashboard.arms]}, {**api_practices, **api_arms}


def assert_every_figure_equal(command: dict, dashboard: dict, api: dict) -> None:
    assert api["practices"] == command["practices"]
    assert api["arms"] == command["arms"]
    assert api["modules"] == command["modules"]
    # The dashboard shows the trial's practices (implementation and control), with the same figures.
    in_trial = [row for row in command["practices"] if row["arm"] in ("implementation", "control")]
    assert dashboard["practices"] == in_trial
    assert dashboard["arms"] == [row for row in command["arms"] if row["arm"] in ("implementation", "control")]


def test_the_command_the_dashboard_and_the_api_show_every_figure_equal(client):
    trial = build_trial()
    secret = researcher_with_token()[1].secret
    seen = []
    for stage in ("raw", "rollups", "rollups and tail"):
        if stage == "rollups":
            rollups.fill_uptake_rollups()
            assert not trial["practices"][0].__class__.objects.filter(rollups.tail_q()).exists()
        if stage == "rollups and tail":
            services.record_access(membership=learner(practice_=trial["practices"][0], role="hca"),
                                   module=trial["team"], section=sections_of(trial["team"])[0], at=at(2, 10, 9))
        for params, args in PERIODS:
            command, dashboard, api = figures_everywhere(client, secret, params, args)
            assert_every_figure_equal(command, dashboard, api)
            seen.append((stage, params, command["practices"][0]["modules"]["team"]["accesses"]))
            if stage != "rollups and tail" and not params:
                assert command == EXPECTED_REPORT
    # The view recorded after the fill is counted at once, everywhere (IMP-01's team accesses).
    assert [n for stage, params, n in seen if not params] == [4, 4, 5]
    assert [n for stage, params, n in seen if params.get("end") == "2026-03-01"] == [2, 2, 3]

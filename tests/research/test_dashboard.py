"""Research > Uptake: who may see it, the same figures as uptake_report, the charts' series, the practice table."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from django.core.management import call_command

from accounts.roles import ADMIN, EDITOR, MODERATOR, RESEARCHER
from learning.selectors.uptake import arm_as_dict, uptake_report
from research.dashboard.data import (
    Filters,
    accesses_per_practice,
    cumulative_first_completion,
    report_for,
    weekly_accesses,
)
from tests.accounts.factories import make_user, sign_in_with_second_factor, staff_user
from tests.practices.factories import make_member

from .trial import IDENTIFYING, PRACTICE_NAMES, build_trial

pytestmark = pytest.mark.django_db

DASHBOARD = "/admin/research/uptake/"
PRACTICES = "/admin/research/uptake/practices/"


@pytest.fixture
def researcher_client(client):
    sign_in_with_second_factor(client, staff_user(RESEARCHER))
    return client


def test_only_researchers_and_admins_see_it(client):
    build_trial()
    for group in (EDITOR, MODERATOR):
        client.logout()
        sign_in_with_second_factor(client, staff_user(group))
        for url in (DASHBOARD, PRACTICES, PRACTICES + "?export=csv"):
            response = client.get(url)
            assert response.status_code in (302, 403), url
            assert "IMP-01" not in response.content.decode()
        assert DASHBOARD not in client.get("/admin/").content.decode()
    client.logout()
    lead = make_member(is_lead=True)
    client.force_login(lead.user)
    assert client.get(DASHBOARD).status_code in (302, 403)
    assert client.get(PRACTICES + "?export=csv").status_code in (302, 403)
    client.logout()
    sign_in_with_second_factor(client, staff_user(ADMIN))
    assert client.get(DASHBOARD).status_code == 200
    assert DASHBOARD in client.get("/admin/").content.decode()  # in the Research menu


def test_the_summary_shows_the_reports_figures(researcher_client):
    build_trial()
    page = researcher_client.get(DASHBOARD)
    assert page.status_code == 200
    html = page.content.decode()
    # The command's report over the whole registry: the dashboard shows its two trial arms' figures.
    arms = [arm for arm in uptake_report().arms if arm.arm in ("implementation", "control")]
    assert len(arms) == 2
    for arm in arms:
        data = arm_as_dict(arm)
        for figures in data["modules"].values():
            accesses = figures["accesses"]
            assert f"{accesses['median']} ({accesses['q1']}–{accesses['q3']}; {accesses['min']}–{accesses['max']})" in html
    for name in PRACTICE_NAMES:
        assert name not in html
    for details in IDENTIFYING.values():
        for value in details.values():
            assert value not in html


def test_the_dashboard_and_the_command_agree_for_the_same_filters(researcher_client, capsys):
    build_trial()
    filters = Filters(start=date(2026, 1, 1), end=date(2026, 3, 1), window_weeks=8, arm="implementation")
    report = report_for(filters)
    call_command("uptake_report", "--format", "json", "--start", "2026-01-01", "--end", "2026-03-01",
                 "--window-weeks", "8")
    command = json.loads(capsys.readouterr().out)
    command_rows = {row["trial_id"]: row for row in command["practices"] if row["arm"] == "implementation"}
    assert {p.trial_id for p in report.practices} == set(command_rows)
    for practice in report.practices:
        for slug, figures in practice.modules.items():
            mine = command_rows[practice.trial_id]["modules"][slug]
            assert figures.accesses == mine["accesses"]
            assert figures.learners == mine["learners"]
            assert figures.completers == mine["completers"]
            assert figures.completed_within_window == mine["completed_within_window"]
    page = researcher_client.get(DASHBOARD, {"start": "2026-01-01", "end": "2026-03-01", "window_weeks": "8",
                                             "arm": "implementation"})
    assert page.status_code == 200
    assert "Control (usual care)</th>" not in page.content.decode()


def test_cumulative_completion_worked_out_by_hand():
    build_trial()
    report = report_for(Filters())
    team = {s.arm: dict(s.points) for s in cumulative_first_completion(report, kind="team", weeks=12)}
    in_depth = {s.arm: dict(s.points) for s in cumulative_first_completion(report, kind="in_depth", weeks=12)}
    # Implementation: IMP-01, IMP-03, IMP-05. a completed the team module 7 days after IMP-01's
    # randomisation (within the first 2 weeks, not the first); b the in-depth module after 28 days.
    assert team["implementation"][0] == 0
    assert team["implementation"][1] == 0
    assert team["implementation"][2] == pytest.approx(1 / 3)
    assert team["implementation"][12] == pytest.approx(1 / 3)
    assert in_depth["implementation"][4] == 0
    assert in_depth["implementation"][5] == pytest.approx(1 / 3)
    assert set(team["control"].values()) == {0}


def test_weekly_accesses_add_up_to_the_reports_accesses():
    build_trial()
    filters = Filters()
    report = report_for(filters)
    weeks, series = weekly_accesses(report, filters)
    by_arm = {s.arm: [y for _x, y in s.points] for s in series}
    for arm in ("implementation", "control"):
        total = sum(m.accesses for p in report.practices if p.arm == arm for m in p.modules.values())
        assert sum(by_arm[arm]) == total
    implementation = dict(zip(weeks, by_arm["implementation"], strict=True))
    assert implementation[date(2026, 1, 12)] >= 1  # a's visit on Monday 12 January
    assert implementation[date(2026, 2, 2)] == 2  # b's two visits on 2 February, an hour apart
    dots = {s.arm: sorted(y for _x, y in s.points) for s in accesses_per_practice(report)}
    assert len(dots["implementation"]) == 3
    assert sum(dots["implementation"]) == sum(by_arm["implementation"])


def test_bad_filters_say_which_field_and_why(researcher_client):
    build_trial()
    page = researcher_client.get(DASHBOARD, {"start": "2026-13-01", "window_weeks": "-3", "end": ""})
    assert page.status_code == 400
    html = page.content.decode()
    assert "From: Enter the first day as a date, for example 2026-01-31." in html
    assert "The window is 0 to 520 weeks." in html
    assert "Summary by arm" not in html
    page = researcher_client.get(DASHBOARD, {"start": "2026-03-01", "end": "2026-02-01"})
    assert page.status_code == 400
    assert "The end must be after the first day." in page.content.decode()
    assert researcher_client.get(PRACTICES, {"arm": "elsewhere"}).status_code == 400


def test_the_practice_table_sorts_searches_and_exports_without_names(researcher_client):
    build_trial()
    page = researcher_client.get(PRACTICES, {"ordering": "-trial_id"})
    html = page.content.decode()
    assert page.status_code == 200
    assert html.index("IMP-05") < html.index("IMP-01")
    found = researcher_client.get(PRACTICES, {"q": "a81005"}).content.decode()
    assert "IMP-05" in found
    assert "IMP-01" not in found
    export = researcher_client.get(PRACTICES, {"export": "csv", "arm": "implementation"})
    assert export.status_code == 200
    rows = list(csv.DictReader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert [row["Trial ID"] for row in rows] == ["IMP-01", "IMP-03", "IMP-05"]
    report = report_for(Filters(arm="implementation"))
    team = next(m for m in report.modules if m.slug == "team")
    first = next(p for p in report.practices if p.trial_id == "IMP-01")
    assert rows[0][f"{team.title}: accesses"] == str(first.modules["team"].accesses)
    text = "\n".join(",".join(row.values()) for row in rows)
    for name in PRACTICE_NAMES:
        assert name not in text
    xlsx = researcher_client.get(PRACTICES, {"export": "xlsx"})
    assert xlsx.status_code == 200
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")


def test_learners_get_no_admin(client):
    build_trial()
    learner = make_user()
    client.force_login(learner)
    assert client.get(DASHBOARD).status_code in (302, 403)


def test_weekly_accesses_stop_at_the_withdrawal_dates_uk_midnight_as_the_report_does():
    from datetime import UTC, datetime

    from learning import services
    from practices.models import Arm, WithdrawalDataChoice
    from tests.learning.factories import build_module, sections_of
    from tests.practices.factories import make_practice

    module = build_module(slug="team", kind="team", sections=[(1, 0)])
    (section,) = sections_of(module)
    practice = make_practice(arm=Arm.IMPLEMENTATION, trial_id="IMP-BST", randomised_on=date(2026, 5, 4))
    member = make_member(practice, on=date(2026, 5, 4))
    services.record_access(membership=member, module=module, section=section, at=datetime(2026, 6, 8, 12, tzinfo=UTC))
    # 23:30 UTC on 9 June is 00:30 on 10 June in the UK: after collection ends for a withdrawal on 10 June.
    services.record_access(membership=member, module=module, section=section, at=datetime(2026, 6, 9, 23, 30, tzinfo=UTC))
    practice.withdrawn_on = date(2026, 6, 10)
    practice.withdrawal_data_choice = WithdrawalDataChoice.RETAIN
    practice.save()
    filters = Filters()
    report = report_for(filters)
    (row,) = [p for p in report.practices if p.trial_id == "IMP-BST"]
    assert row.modules["team"].accesses == 1
    weeks, series = weekly_accesses(report, filters)
    (implementation,) = [s for s in series if s.arm == "implementation"]
    assert sum(y for _x, y in implementation.points) == 1

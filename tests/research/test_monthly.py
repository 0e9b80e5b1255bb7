"""Monthly reports: who receives what, the figures in them, and that nothing is sent twice."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import CommandError, call_command

from accounts.roles import RESEARCHER, PracticeRole
from learning import services
from learning.selectors.uptake import arm_as_dict, uptake_report
from outbox.models import Job
from research import monthly
from research.models import MonthlyReport
from research.tasks import send_monthly_reports as monthly_task
from tests.accounts.factories import make_user, staff_user
from tests.practices.factories import make_member
from tests.research.trial import IDENTIFYING, at, build_trial

pytestmark = pytest.mark.django_db

FEBRUARY = date(2026, 2, 1)
MARCH_2 = date(2026, 3, 2)


@pytest.fixture
def trial():
    built = build_trial()
    p1, p2, p3, _p4, p5 = built["practices"]
    built["leads"] = {
        # P1's lead joined in February; the others were there from January.
        "p1": make_member(p1, role=PracticeRole.GP, is_lead=True, on=date(2026, 2, 10),
                          first_name="Leonora", last_name="Pettigrew", email="leonora.lead@surgery-one.example"),
        "p2": make_member(p2, role=PracticeRole.GP, is_lead=True, on=date(2026, 1, 1)),
        "p3": make_member(p3, role=PracticeRole.GP, is_lead=True, on=date(2026, 1, 1)),
        "p5": make_member(p5, role=PracticeRole.HCA, is_lead=True, on=date(2026, 1, 1)),
    }
    # a starts the in-depth module in February (in progress at the month's end: 1 of 2 sections, 50%).
    d1, _d2 = built["in_depth_sections"]
    services.record_access(membership=built["members"]["a"], module=built["in_depth"], section=d1, at=at(2, 25, 14))
    built["researcher"] = staff_user(RESEARCHER, first_name="Rhiannon", last_name="Analyst")
    return built


def _send(django_capture_on_commit_callbacks, **options):
    with django_capture_on_commit_callbacks(execute=True):
        return monthly.send_monthly_reports(month=FEBRUARY, today=MARCH_2, **options)


def test_february_goes_to_researchers_and_implementation_leads_still_in_the_trial(trial, django_capture_on_commit_callbacks):
    result = _send(django_capture_on_commit_callbacks)
    leads = trial["leads"]
    recipients = sorted(message.to[0] for message in mail.outbox)
    # Not P2's lead (control arm: the feedback is part of the intervention) nor P3's (withdrew 16 February).
    assert recipients == sorted([trial["researcher"].email, leads["p1"].user.email, leads["p5"].user.email])
    assert len(result.queued) == 3
    assert result.already_sent == ()
    assert MonthlyReport.objects.filter(month=FEBRUARY).count() == 3
    assert all(report.job_id is not None for report in MonthlyReport.objects.all())
    for message in mail.outbox:
        assert message.alternatives, "every report has an HTML part"
        assert message.alternatives[0][1] == "text/html"


def test_the_lead_sees_their_practice_month_worked_out_by_hand(trial, django_capture_on_commit_callbacks):
    _send(django_capture_on_commit_callbacks)
    lead = trial["leads"]["p1"].user
    (message,) = [m for m in mail.outbox if m.to == [lead.email]]
    assert message.subject == "Your practice's asthma learning, February 2026"
    body = message.body
    # b completed the in-depth module on 2 February; a completed the team module in January (not listed).
    completed = body.split("Completed a module in February 2026 (1):\n")[1].split("\n\n")[0]
    assert completed == "- Ottoline Marchbanks (Practice nurse): Module in-depth, 2 February"
    in_progress = body.split("In progress at the end of February 2026 (1):\n")[1].split("\n\n")[0]
    assert in_progress == "- Zebedee Quarrington-Fitch (GP): Module in-depth, 50%"
    joined = body.split("Joined the practice's team in February 2026 (1):\n")[1].split("\n\n")[0]
    assert joined == "- Leonora Pettigrew (GP): joined 10 February"
    assert "3 members of staff" in body
    assert f"invite colleagues: {settings.WAGTAILADMIN_BASE_URL.rstrip('/')}/practice/\n" in body
    html = message.alternatives[0][0]
    assert "Ottoline Marchbanks" in html
    assert "<h1" in html


def test_the_researchers_summary_has_the_reports_figures_and_no_names(trial, django_capture_on_commit_callbacks):
    _send(django_capture_on_commit_callbacks)
    (message,) = [m for m in mail.outbox if m.to == [trial["researcher"].email]]
    assert message.subject == "Asthma modules uptake, February 2026: summary by arm"
    report = uptake_report(start=FEBRUARY, end=date(2026, 3, 1))
    implementation = next(arm_as_dict(arm) for arm in report.arms if arm.arm == "implementation")
    in_depth = implementation["modules"]["in-depth"]
    line = next(line for line in message.body.splitlines() if line.startswith("Implementation (") and "Module in-depth" in line)
    assert line.startswith(f"Implementation ({implementation['practices']} practices), Module in-depth:")
    # By hand: in February only P1 did anything in the in-depth module, b completing it; the most
    # completers a practice had is 1, and no practice outside P1 had any.
    assert in_depth["completers"]["max"] == 1
    block = message.body.split(line)[1].split("\n\n")[0]
    assert "completers per practice: median 0 (range 0 to 1)" in block
    everyone = [*IDENTIFYING.values(), {"first_name": "Leonora", "last_name": "Pettigrew", "email": "leonora.lead@"}]
    for details in everyone:
        for value in details.values():
            assert value not in message.body
            assert value not in message.alternatives[0][0]
    for practice in trial["practices"]:
        assert practice.name not in message.body


def test_running_again_sends_nothing_twice(trial, django_capture_on_commit_callbacks):
    _send(django_capture_on_commit_callbacks)
    jobs = Job.objects.count()
    sent = len(mail.outbox)
    again = _send(django_capture_on_commit_callbacks)
    assert again.queued == ()
    assert len(again.already_sent) == 3
    assert Job.objects.count() == jobs
    assert len(mail.outbox) == sent
    # A researcher added since gets theirs; no one else gets a second.
    newcomer = staff_user(RESEARCHER)
    third = _send(django_capture_on_commit_callbacks)
    assert third.queued == (f"per-arm summary to user {newcomer.pk}",)
    assert [m.to for m in mail.outbox[sent:]] == [[newcomer.email]]


def test_a_dry_run_lists_and_records_nothing(trial, django_capture_on_commit_callbacks):
    jobs = Job.objects.count()
    result = _send(django_capture_on_commit_callbacks, dry_run=True)
    assert len(result.queued) == 3
    assert MonthlyReport.objects.count() == 0
    assert Job.objects.count() == jobs
    assert mail.outbox == []


def test_a_month_not_over_is_refused():
    with pytest.raises(ValueError, match="March 2026 has not ended yet"):
        monthly.send_monthly_reports(month=date(2026, 3, 1), today=MARCH_2)


def test_the_command_validates_the_month_and_reports_what_it_did(trial, capsys):
    with pytest.raises(CommandError, match=r"--month: Give the month as YYYY-MM \(for example 2026-11\), not '2026-2'"):
        call_command("send_monthly_reports", "--month", "2026-2")
    with time_machine.travel("2026-03-02 09:00:00+00:00", tick=False):
        call_command("send_monthly_reports", "--month", "2026-02", "--dry-run")
        assert "Would queue 3 report(s) for 2026-02; 0 already sent earlier." in capsys.readouterr().out
        call_command("send_monthly_reports", "--month", "2026-02")
        assert "Queued 3 report(s) for 2026-02" in capsys.readouterr().out
        call_command("send_monthly_reports", "--month", "2026-02")
        assert "Queued 0 report(s) for 2026-02; 3 already sent earlier." in capsys.readouterr().out


def test_beat_on_the_first_reports_the_month_just_ended(trial):
    with time_machine.travel("2026-03-01 06:00:00+00:00", tick=False):
        assert monthly_task() == 3
        assert monthly_task() == 0
    assert set(MonthlyReport.objects.values_list("month", flat=True)) == {FEBRUARY}


def test_an_inactive_researcher_gets_nothing(trial, django_capture_on_commit_callbacks):
    gone = make_user(groups=(RESEARCHER,))
    gone.is_active = False
    gone.save()
    _send(django_capture_on_commit_callbacks)
    assert gone.email not in {m.to[0] for m in mail.outbox}


def test_the_schedule_runs_on_the_first_of_the_month(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["monthly-reports"]
    assert entry["task"] == "research.tasks.send_monthly_reports"
    schedule = entry["schedule"]
    assert schedule.day_of_month == {1}
    assert schedule.hour == {6}
    assert schedule.minute == {0}

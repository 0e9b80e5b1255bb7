"""Uptake rollups: the fill's rows worked out by hand, idempotence, the tail, resuming, verify_rollups.

Built on the uptake tests' hand-worked trial (tests/learning/test_uptake.py); the property test
that rollup answers equal raw answers on random activity is tests/learning/test_rollups_property.py.
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
import time_machine
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from learning import rollups, services
from learning.models import FillState, FillStatus, LearningEvent, UptakeCount, UptakeProperty, UptakeTotal
from learning.selectors.uptake import Source, practice_uptake, rollup_differences, uptake_report
from practices.models import Practice, WithdrawalDataChoice

from .factories import learner, practice, sections_of
from .test_uptake import EXPECTED_REPORT, NOW, at, build_trial

pytestmark = pytest.mark.django_db


def count_rows(practice: Practice | None = None) -> set[tuple]:
    rows = UptakeCount.objects.all() if practice is None else UptakeCount.objects.filter(practice=practice)
    return {
        (r.property, r.practice_id, r.module.slug, r.role, r.day, r.previous_day, r.value, r.first_at)
        for r in rows.select_related("module")
    }


def total_rows() -> set[tuple]:
    return {
        (r.practice_id, r.module_id, r.accesses, r.learners, r.completers, r.deviations, r.first_access_at,
         r.first_completion_at, tuple(r.accesses_by_role.items()), tuple(r.learners_by_role.items()),
         tuple(r.completers_by_role.items()))
        for r in UptakeTotal.objects.all()
    }


def test_the_fill_writes_the_rows_worked_out_by_hand_and_a_second_run_changes_nothing():
    trial = build_trial()
    p1 = trial["practices"][0]
    rollups.fill_uptake_rollups()
    day = date
    # IMP-01's team module: a (gp) on 01-12 in visits 1 (09:00, 09:29:59) and 2 (09:59:59), completing
    # at 09:59:59; m (practice manager) on 02-01 00:00 in m's visit 2, completing then; b (practice
    # nurse) on 02-02 in visit 1 (08:00, 08:20), completing at 08:20. Each is their first active day.
    team = {
        (UptakeProperty.LEARNERS, p1.pk, "team", "", day(2026, 1, 12), None, 1, at(1, 12, 9)),
        (UptakeProperty.LEARNERS, p1.pk, "team", "", day(2026, 2, 1), None, 1, at(2, 1)),
        (UptakeProperty.LEARNERS, p1.pk, "team", "", day(2026, 2, 2), None, 1, at(2, 2, 8)),
        (UptakeProperty.LEARNERS_BY_ROLE, p1.pk, "team", "gp", day(2026, 1, 12), None, 1, at(1, 12, 9)),
        (UptakeProperty.LEARNERS_BY_ROLE, p1.pk, "team", "practice_manager", day(2026, 2, 1), None, 1, at(2, 1)),
        (UptakeProperty.LEARNERS_BY_ROLE, p1.pk, "team", "practice_nurse", day(2026, 2, 2), None, 1, at(2, 2, 8)),
        (UptakeProperty.ACCESSES, p1.pk, "team", "", day(2026, 1, 12), None, 2, at(1, 12, 9)),
        (UptakeProperty.ACCESSES, p1.pk, "team", "", day(2026, 2, 1), None, 1, at(2, 1)),
        (UptakeProperty.ACCESSES, p1.pk, "team", "", day(2026, 2, 2), None, 1, at(2, 2, 8)),
        (UptakeProperty.ACCESSES_BY_ROLE, p1.pk, "team", "gp", day(2026, 1, 12), None, 2, at(1, 12, 9)),
        (UptakeProperty.ACCESSES_BY_ROLE, p1.pk, "team", "practice_manager", day(2026, 2, 1), None, 1, at(2, 1)),
        (UptakeProperty.ACCESSES_BY_ROLE, p1.pk, "team", "practice_nurse", day(2026, 2, 2), None, 1, at(2, 2, 8)),
        (UptakeProperty.COMPLETERS, p1.pk, "team", "gp", day(2026, 1, 12), None, 1, at(1, 12, 9, 59, 59)),
        (UptakeProperty.COMPLETERS, p1.pk, "team", "practice_manager", day(2026, 2, 1), None, 1, at(2, 1)),
        (UptakeProperty.COMPLETERS, p1.pk, "team", "practice_nurse", day(2026, 2, 2), None, 1, at(2, 2, 8, 20)),
    }
    # IMP-01's in-depth module: a viewed section 1 on 01-20 and section 2 on 04-06, a second active
    # day whose previous day is 01-20 (c's download is not a view), completing on 04-06.
    in_depth = {
        (UptakeProperty.LEARNERS, p1.pk, "in-depth", "", day(2026, 1, 20), None, 1, at(1, 20, 14)),
        (UptakeProperty.LEARNERS, p1.pk, "in-depth", "", day(2026, 4, 6), day(2026, 1, 20), 1, at(4, 6, 10)),
        (UptakeProperty.LEARNERS_BY_ROLE, p1.pk, "in-depth", "gp", day(2026, 1, 20), None, 1, at(1, 20, 14)),
        (UptakeProperty.LEARNERS_BY_ROLE, p1.pk, "in-depth", "gp", day(2026, 4, 6), day(2026, 1, 20), 1, at(4, 6, 10)),
        (UptakeProperty.ACCESSES, p1.pk, "in-depth", "", day(2026, 1, 20), None, 1, at(1, 20, 14)),
        (UptakeProperty.ACCESSES, p1.pk, "in-depth", "", day(2026, 4, 6), None, 1, at(4, 6, 10)),
        (UptakeProperty.ACCESSES_BY_ROLE, p1.pk, "in-depth", "gp", day(2026, 1, 20), None, 1, at(1, 20, 14)),
        (UptakeProperty.ACCESSES_BY_ROLE, p1.pk, "in-depth", "gp", day(2026, 4, 6), None, 1, at(4, 6, 10)),
        (UptakeProperty.COMPLETERS, p1.pk, "in-depth", "gp", day(2026, 4, 6), None, 1, at(4, 6, 10)),
    }
    assert count_rows(p1) == team | in_depth
    p3 = trial["practices"][2]
    assert count_rows(p3) == {
        (UptakeProperty.DEVIATIONS, p3.pk, "team", "", day(2026, 1, 14), None, 1, at(1, 14, 9)),
        (UptakeProperty.DEVIATIONS, p3.pk, "team", "", day(2026, 2, 20), None, 1, at(2, 20, 9)),
        (UptakeProperty.DEVIATIONS, p3.pk, "in-depth", "", day(2026, 1, 14), None, 1, at(1, 14, 9, 5)),
    }
    team_total = UptakeTotal.objects.get(practice=p1, module=trial["team"])
    assert (team_total.accesses, team_total.learners, team_total.completers, team_total.first_access_at) == (
        4, 3, 3, at(1, 12, 9),
    )
    assert team_total.accesses_by_role == {"gp": 2, "practice_manager": 1, "practice_nurse": 1}

    before_counts, before_totals = count_rows(), total_rows()
    state = FillState.objects.get()
    assert (state.status, state.events_through) == (FillStatus.IDLE, LearningEvent.objects.latest("id").pk)
    again = rollups.fill_uptake_rollups()
    assert again.practices_refilled == 0
    rollups.reset_uptake_rollups()
    assert rollups.fill_uptake_rollups().practices_refilled == 4
    assert (count_rows(), total_rows()) == (before_counts, before_totals)


def test_the_report_from_the_rollups_matches_the_hand_calculation_for_every_period():
    build_trial()
    rollups.fill_uptake_rollups()
    with time_machine.travel(NOW, tick=False):
        assert uptake_report().as_dict() == EXPECTED_REPORT
    for start, end in [(None, None), (date(2026, 2, 1), date(2026, 3, 1)), (None, date(2026, 2, 2)),
                       (date(2026, 1, 13), None), (date(2026, 4, 6), date(2026, 4, 7))]:
        for weeks in (0, 2, 12):
            rolled = practice_uptake(start=start, end=end, window_weeks=weeks)
            assert rolled == practice_uptake(start=start, end=end, window_weeks=weeks, source=Source.RAW)


def test_with_the_fill_caught_up_the_report_reads_the_rollups_in_a_fixed_number_of_queries(
    django_assert_num_queries,
):
    trial = build_trial()
    rollups.fill_uptake_rollups()
    # Modules, practices (with the tail), rollup totals, and the daily rows of the withdrawn IMP-02
    # (withdrawn in winter: its cut-off is a UTC midnight).
    with django_assert_num_queries(4):
        rows = practice_uptake()
    assert rows[0].modules["team"].accesses == 4
    # Withdrawn in summer (00:00 UK time is 23:00 UTC the day before): the hour after the cut-off
    # is taken off with at most five more queries, here three (views and completions of that hour
    # and its deviations, none of which happened).
    Practice.objects.filter(pk=trial["practices"][1].pk).update(withdrawn_on=date(2026, 4, 1))
    with django_assert_num_queries(7):
        practice_uptake()
    # Without the withdrawn practice, nothing is read raw.
    Practice.objects.filter(pk=trial["practices"][1].pk).update(
        withdrawn_on=None, withdrawal_data_choice="", withdrawal_reason=""
    )
    with django_assert_num_queries(3):
        practice_uptake()
    with django_assert_num_queries(3):
        practice_uptake(start=date(2026, 2, 1), end=date(2026, 3, 1))
    # A practice that chose deletion is read raw (its events go before its rollups do).
    Practice.objects.filter(pk=trial["practices"][1].pk).update(
        withdrawn_on=date(2026, 2, 16), withdrawal_data_choice=WithdrawalDataChoice.DELETE
    )
    with django_assert_num_queries(7):
        practice_uptake()


def test_a_view_recorded_after_the_fill_counts_at_once_from_the_tail():
    trial = build_trial()
    rollups.fill_uptake_rollups()
    p1 = trial["practices"][0]
    newcomer = learner(practice_=p1, role="hca")
    services.record_access(membership=newcomer, module=trial["team"], section=sections_of(trial["team"])[0],
                           at=at(4, 20, 9))
    row = practice_uptake()[0]
    assert (row.ods_code, row.modules["team"].accesses, row.modules["team"].learners) == ("A81001", 5, 4)
    assert row.modules["team"].learners_by_role["hca"] == 1
    # The rollups themselves still hold what was filled; the next fill takes the new view in.
    assert UptakeTotal.objects.get(practice=p1, module=trial["team"]).learners == 3
    assert rollups.fill_uptake_rollups().practices_refilled == 1
    assert UptakeTotal.objects.get(practice=p1, module=trial["team"]).learners == 4
    assert rollup_differences() == []


def test_a_fill_that_stops_half_way_leaves_exact_answers_and_the_next_run_resumes(monkeypatch):
    trial = build_trial()
    real_refill = rollups._refill
    calls = []

    def refill_then_crash(practice_ids, *, targets):
        calls.append(list(practice_ids))
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        real_refill(practice_ids, targets=targets)

    monkeypatch.setattr(rollups, "_refill", refill_then_crash)
    with pytest.raises(RuntimeError, match="worker lost"):
        rollups.fill_uptake_rollups(chunk_practices=1)
    state = FillState.objects.get()
    first_done = calls[0][0]
    assert (state.status, state.practices_done_through, state.events_through) == (FillStatus.FAILED, first_done, 0)
    assert state.last_error == "RuntimeError: worker lost"
    # Half-filled: every practice is still in the tail, so every answer is exact.
    for period in [(None, None), (date(2026, 2, 1), date(2026, 3, 1))]:
        assert practice_uptake(start=period[0], end=period[1]) == practice_uptake(
            start=period[0], end=period[1], source=Source.RAW
        )

    monkeypatch.setattr(rollups, "_refill", real_refill)
    resumed = rollups.fill_uptake_rollups(chunk_practices=1)
    # The practice refilled before the crash is not refilled again.
    assert resumed.practices_refilled == len({p.pk for p in trial["practices"]}) - 1
    state.refresh_from_db()
    assert (state.status, state.practices_done_through, state.last_error) == (FillStatus.IDLE, None, "")
    resumed_rows = count_rows()
    rollups.reset_uptake_rollups()
    rollups.fill_uptake_rollups()
    assert count_rows() == resumed_rows
    assert rollup_differences() == []


def test_the_rollups_of_a_practice_that_chose_deletion_are_removed():
    trial = build_trial()
    rollups.fill_uptake_rollups()
    p1 = trial["practices"][0]
    assert UptakeCount.objects.filter(practice=p1).exists()
    Practice.objects.filter(pk=p1.pk).update(
        withdrawn_on=date(2026, 4, 1), withdrawal_data_choice=WithdrawalDataChoice.DELETE
    )
    rollups.fill_uptake_rollups()
    assert not UptakeCount.objects.filter(practice=p1).exists()
    assert not UptakeTotal.objects.filter(practice=p1).exists()


def test_verify_rollups_lists_every_difference_and_exits_non_zero(capsys):
    trial = build_trial()
    call_command("verify_rollups")
    assert "the rollups have never been filled" in capsys.readouterr().out
    call_command("fill_rollups", "--chunk", "2")
    assert "Refilled 4 practice(s)" in capsys.readouterr().out
    call_command("verify_rollups", "--start", "2026-02-01", "--end", "2026-03-01")
    assert "Every figure matches the raw events; rollups filled through event" in capsys.readouterr().out

    # Damage one derived row: the check names the practice, module, figure and both values.
    p1 = trial["practices"][0]
    UptakeTotal.objects.filter(practice=p1, module=trial["team"]).update(accesses=9, accesses_by_role={"gp": 9})
    with pytest.raises(CommandError, match=r"^3 figure\(s\) differ"):
        call_command("verify_rollups")
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "IMP-01 (A81001) team accesses: rollups 9, raw 4"
    assert lines[1] == (
        "IMP-01 (A81001) team accesses_by_role: rollups {'gp': 9}, raw {'gp': 2, 'practice_manager': 1, "
        "'practice_nurse': 1}"
    )
    assert lines[2].startswith("arm implementation  summary: rollups {")
    # A dated period reads the daily rows, which are intact.
    call_command("verify_rollups", "--start", "2026-01-01")


def test_the_commands_refuse_bad_options():
    with pytest.raises(CommandError, match="--chunk must be a whole number of at least 1, got 0"):
        call_command("fill_rollups", "--chunk", "0")
    with pytest.raises(CommandError, match=r"--start must be a date as YYYY-MM-DD, got '2026-02-30'"):
        call_command("verify_rollups", "--start", "2026-02-30")
    with pytest.raises(CommandError, match=r"--start \(2026-03-01\) must be before --end \(2026-03-01\)"):
        call_command("verify_rollups", "--start", "2026-03-01", "--end", "2026-03-01")


def test_beat_fills_every_minute_and_the_task_reports_what_it_did():
    from learning.tasks import fill_uptake_rollups

    assert settings.CELERY_BEAT_SCHEDULE["fill-uptake-rollups"] == {
        "task": "learning.tasks.fill_uptake_rollups", "schedule": 60,
    }
    build_trial()
    assert fill_uptake_rollups.delay().get() == 4
    assert fill_uptake_rollups.delay().get() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_fill_waits_for_a_writer_in_progress_before_moving_the_watermark():
    """An event whose transaction commits after a larger id's must still reach the rollups, not fall behind the watermark."""
    trial = build_trial()
    p1, team = trial["practices"][0], trial["team"]
    slow, quick = learner(practice_=p1, role="hca"), learner(practice_=p1, role="gp")
    inserted, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                services.record_access(membership=slow, module=team, at=at(4, 20, 9))
                inserted.set()
                release.wait(10)
        finally:
            connection.close()

    writer = threading.Thread(target=slow_writer)
    writer.start()
    assert inserted.wait(10)
    # A later view commits first, with a larger id.
    services.record_access(membership=quick, module=team, at=at(4, 20, 10))
    timer = threading.Timer(0.3, release.set)
    timer.start()
    result = rollups.fill_uptake_rollups()
    writer.join(10)
    assert result.waited_for_writers
    assert result.events_through == LearningEvent.objects.latest("id").pk
    assert UptakeTotal.objects.get(practice=p1, module=team).learners == 5
    assert rollup_differences() == []


def test_a_fill_waiting_too_long_for_writers_gives_up_without_moving_anything(monkeypatch):
    build_trial()
    monkeypatch.setattr(rollups, "_high_water", lambda **kw: (_ for _ in ()).throw(rollups.FillBusy("1 busy")))
    with pytest.raises(CommandError, match="Not filled: 1 busy Run it again in a moment."):
        call_command("fill_rollups")
    assert not FillState.objects.exists()
    from learning.tasks import fill_uptake_rollups

    assert fill_uptake_rollups() == 0


def test_a_practice_withdrawn_in_summer_time_loses_the_last_hour_of_the_day_before():
    """Withdrawn on 2026-04-01: collection ends at 00:00 UK time, 2026-03-31 23:00 UTC, inside a UTC day."""
    trial = build_trial()
    team, in_depth = trial["team"], trial["in_depth"]
    first, second = sections_of(team)
    leaving = practice(arm="implementation", trial_id="IMP-09", ods_code="A81009", randomised_on=date(2026, 3, 2))
    x, y, z = (learner(practice_=leaving, role=role) for role in ("gp", "hca", "practice_nurse"))
    # x: only in the last hour (23:30): not counted. y: 10:00 and 23:30 (two visits): one learner,
    # one visit. z: a visit from 22:50 to 23:10, counted once, completing the team module at 23:10
    # (not counted), and the in-depth module only at 23:15 (nothing counted).
    services.record_access(membership=x, module=team, section=first, at=at(3, 31, 23, 30))
    services.record_access(membership=y, module=team, section=first, at=at(3, 31, 10))
    services.record_access(membership=y, module=team, section=second, at=at(3, 31, 23, 30))
    services.record_access(membership=z, module=team, section=first, at=at(3, 31, 22, 50))
    services.record_access(membership=z, module=team, section=second, at=at(3, 31, 23, 10))
    for section in sections_of(in_depth):
        services.record_access(membership=z, module=in_depth, section=section, at=at(3, 31, 23, 15))
    # And x again the next day, after the withdrawal date had begun.
    services.record_access(membership=x, module=team, section=second, at=at(4, 1, 9))
    Practice.objects.filter(pk=leaving.pk).update(
        withdrawn_on=date(2026, 4, 1), withdrawal_data_choice=WithdrawalDataChoice.RETAIN
    )
    rollups.fill_uptake_rollups()
    for start, end in [(None, None), (date(2026, 3, 31), None), (None, date(2026, 4, 1)), (date(2026, 3, 31), date(2026, 4, 2))]:
        rows = {row.ods_code: row for row in practice_uptake(start=start, end=end)}
        assert rows == {row.ods_code: row for row in practice_uptake(start=start, end=end, source=Source.RAW)}
        team_figures, in_depth_figures = rows["A81009"].modules["team"], rows["A81009"].modules["in-depth"]
        assert (team_figures.learners, team_figures.accesses) == (2, 2)
        assert team_figures.learners_by_role == team_figures.accesses_by_role == {"hca": 1, "practice_nurse": 1}
        assert team_figures.first_access_at == at(3, 31, 10)
        assert (team_figures.completers, team_figures.first_completion_at) == (0, None)
        assert (in_depth_figures.learners, in_depth_figures.accesses, in_depth_figures.completers) == (0, 0, 0)
        assert in_depth_figures.first_access_at is None

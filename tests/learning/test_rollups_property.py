"""Property: on random activity, the uptake report from the rollups equals the one counted from the raw events.

Hypothesis draws learners, roles, practices (implementation, control, not in trial; with and
without a withdrawal, kept or deleted), page views across day boundaries (around midnight and the
change to summer time on 2026-03-29), visit numbers, renewals of completions, protocol deviations,
and fills run (sometimes half-way, in chunks of one or two practices) between batches; then it
compares every figure for random periods and windows. Rows are written straight to the tables,
not through the services, on purpose: the fill must be exact for any state of the append-only
tables, including ones today's services never produce (events arriving out of time order, several
visits on one day, a learner's role changing inside a visit). Derandomised, so CI runs the same
examples every time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from learning import rollups
from learning.models import LearningEvent, ModuleCompletion, ProtocolDeviation
from learning.selectors.uptake import Source, practice_uptake, report_modules
from practices.models import Arm, Practice, WithdrawalDataChoice

from .factories import build_module, learner, practice

pytestmark = pytest.mark.django_db

# 2026-03-26 00:00 UTC: eight days around the change to British Summer Time (2026-03-29).
BASE = datetime(2026, 3, 26, tzinfo=UTC)
DAYS = 8
ROLES = ("gp", "practice_nurse", "hca")

# Minutes within a day, weighted towards the edges (midnight) and the 30-minute visit gap.
minute_of_day = st.one_of(st.integers(0, 24 * 60 - 1), st.sampled_from([0, 1, 29, 30, 60, 1380, 1409, 1410, 1439]))
moment = st.builds(lambda day, minute: BASE + timedelta(days=day, minutes=minute), st.integers(0, DAYS - 1), minute_of_day)

view = st.tuples(
    st.integers(0, 3),  # learner
    st.integers(0, 3),  # practice
    st.sampled_from(ROLES),
    st.integers(0, 1),  # module
    moment,
    st.integers(1, 4),  # visit number
    st.sampled_from(["module_view", "section_view", "section_view", "resource_download"]),
)
completion = st.tuples(st.integers(0, 3), st.integers(0, 3), st.sampled_from(ROLES), st.integers(0, 1), moment)
deviation = st.tuples(st.integers(0, 3), st.integers(0, 3), st.sampled_from(ROLES), st.integers(0, 1), moment)
batch = st.tuples(
    st.lists(view, max_size=12),
    st.lists(completion, max_size=3),
    st.lists(deviation, max_size=2),
    st.sampled_from(["none", "fill", "fill", "crash"]),  # what happens after the batch
    st.integers(1, 2),  # practices per fill chunk
)
period = st.tuples(
    st.one_of(st.none(), st.integers(-1, DAYS)),  # start, days from BASE
    st.one_of(st.none(), st.integers(1, DAYS + 1)),  # length in days
)
# Withdrawal days from BASE: 3 is 2026-03-29 (00:00 UK time is still 00:00 UTC), 4 and later are in
# summer time (00:00 UK time is 23:00 UTC the day before), which the rollups treat specially.
withdrawal = st.one_of(
    st.none(),
    st.tuples(st.one_of(st.integers(0, DAYS), st.sampled_from([4, 5])),
              st.sampled_from([WithdrawalDataChoice.RETAIN, WithdrawalDataChoice.RETAIN, WithdrawalDataChoice.DELETE])),
)


@pytest.fixture
def world():
    modules = [build_module(slug="team", kind="team"), build_module(slug="in-depth", kind="in_depth")]
    practices = [
        practice(arm=Arm.IMPLEMENTATION, trial_id="IMP-01", ods_code="A81001", randomised_on=date(2026, 3, 20)),
        practice(arm=Arm.IMPLEMENTATION, trial_id="IMP-02", ods_code="A81002", randomised_on=date(2026, 3, 27)),
        practice(arm=Arm.CONTROL, trial_id="IMP-03", ods_code="A81003", randomised_on=date(2026, 3, 20)),
        practice(arm=Arm.NOT_IN_TRIAL, ods_code="B82004", randomised_on=None),
    ]
    users = [learner(practice_=practices[i % 4]).user for i in range(4)]
    return modules, practices, users


def _add_rows(world, views, completions, deviations, cycles) -> None:
    modules, practices, users = world
    for who, where, role, module, at, visit, event_type in views:
        LearningEvent.objects.create(
            user=users[who], practice=practices[where], role=role, module=modules[module], module_version=1,
            event_type=event_type, occurred_at=at, visit_number=visit,
        )
    for who, where, role, module, at in completions:
        cycles[(who, module)] = cycles.get((who, module), 0) + 1
        ModuleCompletion.objects.create(
            user=users[who], practice=practices[where], role=role, module=modules[module], module_version=1,
            completed_at=at, engagement_percent=Decimal("100.00"), cycle=cycles[(who, module)],
        )
    for who, where, role, module, at in deviations:
        ProtocolDeviation.objects.create(
            user=users[who], practice=practices[where], role=role, module=modules[module], occurred_at=at, path="/m/",
        )


class Crash(Exception):
    pass


def _fill(chunk: int, *, crash: bool, monkeypatch) -> None:
    if not crash:
        rollups.fill_uptake_rollups(chunk_practices=chunk)
        return
    real_refill = rollups._refill
    calls = []

    def refill_then_crash(practice_ids, *, targets):
        calls.append(practice_ids)
        if len(calls) == 2:
            raise Crash
        real_refill(practice_ids, targets=targets)

    monkeypatch.setattr(rollups, "_refill", refill_then_crash)
    try:
        rollups.fill_uptake_rollups(chunk_practices=chunk)
    except Crash:
        pass
    finally:
        monkeypatch.setattr(rollups, "_refill", real_refill)


@settings(
    max_examples=30, derandomize=True, deadline=None, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@example(
    # Practice 1 withdrawn on 2026-03-31 (summer time: collection ends 2026-03-30 23:00 UTC), with a
    # learner seen only at 23:30 that day and a completion at 23:40: neither counts.
    batches=[(
        [(0, 1, "gp", 0, BASE + timedelta(days=4, minutes=1410), 1, "section_view"),
         (1, 1, "hca", 0, BASE + timedelta(days=4, minutes=600), 1, "section_view"),
         (1, 1, "hca", 0, BASE + timedelta(days=4, minutes=1420), 2, "module_view")],
        [(0, 1, "gp", 0, BASE + timedelta(days=4, minutes=1420))],
        [(2, 1, "gp", 1, BASE + timedelta(days=4, minutes=1430))],
        "fill", 2,
    )],
    periods=[(4, 1), (3, None)], weeks=12, withdrawals=((5, WithdrawalDataChoice.RETAIN), None),
)
@given(
    batches=st.lists(batch, min_size=1, max_size=4),
    periods=st.lists(period, min_size=2, max_size=3),
    weeks=st.sampled_from([0, 1, 12]),
    withdrawals=st.tuples(withdrawal, withdrawal),
)
def test_rollup_answers_equal_raw_answers_on_random_activity(world, monkeypatch, batches, periods, weeks, withdrawals):
    modules, practices, _users = world
    with transaction.atomic():
        for index, drawn in zip((1, 2), withdrawals, strict=True):
            if drawn is not None:
                Practice.objects.filter(pk=practices[index].pk).update(
                    withdrawn_on=BASE.date() + timedelta(days=drawn[0]), withdrawal_data_choice=drawn[1],
                )
        cycles: dict = {}
        for views, completions, deviations, then, chunk in batches:
            _add_rows(world, views, completions, deviations, cycles)
            if then != "none":
                _fill(chunk, crash=then == "crash", monkeypatch=monkeypatch)
        fresh = list(Practice.objects.all())
        reported = report_modules()
        for start_offset, length in [(None, None), *periods]:
            start = None if start_offset is None else BASE.date() + timedelta(days=start_offset)
            end = None if length is None else (start or BASE.date()) + timedelta(days=length)
            rolled = practice_uptake(start=start, end=end, window_weeks=weeks, modules=reported)
            raw = practice_uptake(start=start, end=end, window_weeks=weeks, modules=reported, source=Source.RAW)
            assert rolled == raw, (start, end, weeks)
            chosen = [p for p in fresh if p.pk != practices[0].pk]
            assert practice_uptake(start=start, end=end, window_weeks=weeks, practices=chosen) == practice_uptake(
                start=start, end=end, window_weeks=weeks, practices=chosen, source=Source.RAW,
            )
        transaction.set_rollback(True)


def test_the_property_reads_the_rollups_after_a_fill(world):
    """Guard against a vacuous property: after a fill, practices with activity are answered from the rollups."""
    modules, practices, users = world
    _add_rows(world, [(0, 0, "gp", 0, BASE, 1, "section_view")], [], [], {})
    rollups.fill_uptake_rollups()
    assert not Practice.objects.filter(rollups.tail_q()).exists()
    # Damage the rollup: the default source now disagrees with the raw events.
    from learning.models import UptakeTotal

    UptakeTotal.objects.filter(practice=practices[0]).update(learners=7)
    assert practice_uptake()[0].modules["team"].learners == 7
    assert practice_uptake(source=Source.RAW)[0].modules["team"].learners == 1


@settings(max_examples=200, derandomize=True, database=None)
@given(values=st.lists(st.integers(0, 50), min_size=1, max_size=30))
def test_spread_interpolates_as_the_statistics_module_does(values):
    """spread() works on integers for speed; it must give statistics' inclusive quartiles exactly."""
    import statistics
    from fractions import Fraction

    from learning.selectors.uptake import _decimal, spread

    exact = [Fraction(v) for v in values]
    median = statistics.median(exact)
    q1, _, q3 = statistics.quantiles(exact, n=4, method="inclusive") if len(exact) > 1 else (median, 0, median)
    assert spread(values) == spread(list(reversed(values)))
    result = spread(values)
    assert (result.median, result.q1, result.q3, result.min, result.max) == (
        _decimal(median), _decimal(q1), _decimal(q3), min(values), max(values),
    )

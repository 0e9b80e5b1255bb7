"""Uptake per practice and per arm against a small trial whose answers were worked out by hand.

The trial (all times UTC; Jan-Mar 2026 is GMT, so UK dates equal UTC dates until 29 March):

Modules: `team` (kind team) and `in-depth` (kind in_depth), each two sections of weight 1 with
no knowledge checks and the default 80% threshold, so a learner completes a module when they
have viewed both sections (50% < 80% <= 100%).

Practices (randomised 2026-01-05 unless not in trial; 12-week window ends 2026-03-30 00:00Z):
  P1 IMP-01 A81001 implementation
  P2 IMP-02 A81002 implementation, withdrew 2026-02-16 (retain)
  P3 IMP-03 A81003 control
  P4 (none) B82004 not in trial

Learners and what they did:
  a  P1 gp           team: module 01-12 09:00:00 (visit 1), s1 09:29:59 (29m59s later: visit 1),
                           s2 09:59:59 (exactly 30m later: visit 2) -> completes team 01-12 09:59:59
                     in-depth: s1 01-20 14:00 (visit 1), s2 04-06 10:00 (visit 2)
                           -> completes in-depth 04-06 10:00, after the window (03-30)
  b  P1 practice_nurse  team: s1 02-02 08:00, s2 08:20 (visit 1) -> completes team 02-02 08:20
  c  P1 hca          in-depth: downloads a resource 01-25 10:00 (not a page view: not an access)
  m  moves P4 -> P1  team as P4 reception_admin: s1 01-15 12:00 (visit 1);
                     joins P1 as practice_manager on 02-01; team s2 02-01 00:00:00 (visit 2)
                           -> completes team 02-01 00:00 for P1 as practice_manager
  d  P2 gp           team: module 01-26 10:00 (visit 1), s1 10:05 (visit 1), s2 10:50 (45m: visit 2)
                           -> completes team 01-26 10:50
                     in-depth: s1 02-09 11:00 (visit 1), s1 again 11:20 (visit 1), s2 02-10 11:00
                           (visit 2) -> completes in-depth 02-10 11:00
  e  P2 hca          team: s1 02-13 16:00 (visit 1); tries s2 on 02-16 09:00, the withdrawal date:
                           refused, nothing recorded
  f  P3 practice_nurse  control arm: opening team (01-14 09:00, 02-20 09:00) and in-depth
                           (01-14 09:05) are protocol deviations, never accesses; record_access refused
  g  P4 clinical_pharmacist in-depth: s1 03-01 00:00:00, s2 00:10 -> completes in-depth 03-01 00:10
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from learning import services
from learning.models import LearningEvent, ModuleCompletion
from learning.selectors.uptake import arm_summary, practice_uptake, spread, uptake_report
from practices.models import Arm, WithdrawalDataChoice
from practices.services import change_member_role, start_membership

from .factories import build_module, learner, practice, sections_of

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, tzinfo=UTC)


def build_trial() -> dict:
    """Build the trial described in the module docstring through the real services."""
    team = build_module(slug="team", kind="team", sections=[(1, 0), (1, 0)])
    in_depth = build_module(slug="in-depth", kind="in_depth", sections=[(1, 0), (1, 0)])
    t1, t2 = sections_of(team)
    d1, d2 = sections_of(in_depth)

    p1 = practice(arm=Arm.IMPLEMENTATION, trial_id="IMP-01", ods_code="A81001")
    p2 = practice(
        arm=Arm.IMPLEMENTATION, trial_id="IMP-02", ods_code="A81002",
        withdrawn_on=date(2026, 2, 16), withdrawal_data_choice=WithdrawalDataChoice.RETAIN,
    )
    p3 = practice(arm=Arm.CONTROL, trial_id="IMP-03", ods_code="A81003")
    p4 = practice(arm=Arm.NOT_IN_TRIAL, ods_code="B82004")

    a = learner(practice_=p1, role="gp")
    services.record_access(membership=a, module=team, at=at(1, 12, 9, 0, 0))
    services.record_access(membership=a, module=team, section=t1, at=at(1, 12, 9, 29, 59))
    services.record_access(membership=a, module=team, section=t2, at=at(1, 12, 9, 59, 59))
    services.record_access(membership=a, module=in_depth, section=d1, at=at(1, 20, 14))
    services.record_access(membership=a, module=in_depth, section=d2, at=at(4, 6, 10))

    b = learner(practice_=p1, role="practice_nurse")
    services.record_access(membership=b, module=team, section=t1, at=at(2, 2, 8, 0))
    services.record_access(membership=b, module=team, section=t2, at=at(2, 2, 8, 20))

    c = learner(practice_=p1, role="hca")
    services.record_resource_download(membership=c, section=d1, document_id=1, at=at(1, 25, 10))

    m = learner(practice_=p4, role="reception_admin")
    services.record_access(membership=m, module=team, section=t1, at=at(1, 15, 12))
    m_in_p1 = start_membership(user=m.user, practice=p1, role="practice_manager", on=date(2026, 2, 1))
    services.record_access(membership=m_in_p1, module=team, section=t2, at=at(2, 1, 0, 0, 0))

    d = learner(practice_=p2, role="gp")
    services.record_access(membership=d, module=team, at=at(1, 26, 10, 0))
    services.record_access(membership=d, module=team, section=t1, at=at(1, 26, 10, 5))
    services.record_access(membership=d, module=team, section=t2, at=at(1, 26, 10, 50))
    services.record_access(membership=d, module=in_depth, section=d1, at=at(2, 9, 11, 0))
    services.record_access(membership=d, module=in_depth, section=d1, at=at(2, 9, 11, 20))
    services.record_access(membership=d, module=in_depth, section=d2, at=at(2, 10, 11, 0))

    e = learner(practice_=p2, role="hca")
    services.record_access(membership=e, module=team, section=t1, at=at(2, 13, 16))
    with pytest.raises(ValidationError):
        services.record_access(membership=e, module=team, section=t2, at=at(2, 16, 9))

    f = learner(practice_=p3, role="practice_nurse")
    with pytest.raises(ValidationError):
        services.record_access(membership=f, module=team, section=t1, at=at(1, 14, 9))
    services.record_protocol_deviation(membership=f, module=team, section=t1, path="/modules/team/section-1/", at=at(1, 14, 9))
    services.record_protocol_deviation(membership=f, module=in_depth, section=None, path="/modules/in-depth/", at=at(1, 14, 9, 5))
    services.record_protocol_deviation(membership=f, module=team, section=None, path="/modules/team/", at=at(2, 20, 9))

    g = learner(practice_=p4, role="clinical_pharmacist")
    services.record_access(membership=g, module=in_depth, section=d1, at=at(3, 1, 0, 0))
    services.record_access(membership=g, module=in_depth, section=d2, at=at(3, 1, 0, 10))

    return {"team": team, "in_depth": in_depth, "practices": (p1, p2, p3, p4)}


def zero(kind: str, *, randomised: bool, deviations: int = 0) -> dict:
    """Return a module entry with no activity (window flags False when randomised, else None)."""
    flag = False if randomised else None
    return {
        "kind": kind, "accesses": 0, "learners": 0, "completers": 0, "completers_by_role": {},
        "accesses_by_role": {}, "learners_by_role": {},
        "first_access_at": None, "first_completion_at": None,
        "first_access_days_from_randomisation": None, "first_completion_days_from_randomisation": None,
        "accessed_within_window": flag, "practice_completed": False, "completed_within_window": flag,
        "protocol_deviations": deviations,
    }


def spread_of(median, q1, q3, low, high) -> dict:
    return {"median": median, "q1": q1, "q3": q3, "min": low, "max": high}


EXPECTED_PRACTICES = [
    {
        "trial_id": "IMP-01", "ods_code": "A81001", "arm": "implementation",
        "randomised_on": "2026-01-05", "withdrawn_on": None,
        "modules": {
            # Views: a visits {1, 2}, b visit {1}, m visit {2} (m's visit 1 was in P4) -> 4 accesses,
            # 3 learners. Completers a (gp, 01-12), b (practice_nurse, 02-02), m (practice_manager,
            # 02-01, role at completion). By the role each view recorded: a's two visits as gp, b's as
            # practice_nurse, m's visit 2 as practice_manager (m's visit 1 was in P4). First access 01-12 09:00 = 7 days after 01-05; first
            # completion 01-12 09:59:59 = 7 days; both before 03-30.
            "team": {
                "kind": "team", "accesses": 4, "learners": 3, "completers": 3,
                "completers_by_role": {"gp": 1, "practice_manager": 1, "practice_nurse": 1},
                "accesses_by_role": {"gp": 2, "practice_manager": 1, "practice_nurse": 1},
                "learners_by_role": {"gp": 1, "practice_manager": 1, "practice_nurse": 1},
                "first_access_at": "2026-01-12T09:00:00Z", "first_completion_at": "2026-01-12T09:59:59Z",
                "first_access_days_from_randomisation": 7, "first_completion_days_from_randomisation": 7,
                "accessed_within_window": True, "practice_completed": True, "completed_within_window": True,
                "protocol_deviations": 0,
            },
            # a's two visits (c's download is not a view). a completes 04-06 10:00: 91 days, after
            # the window end 03-30 00:00 -> completed_within_window False.
            "in-depth": {
                "kind": "in_depth", "accesses": 2, "learners": 1, "completers": 1,
                "completers_by_role": {"gp": 1},
                "accesses_by_role": {"gp": 2}, "learners_by_role": {"gp": 1},
                "first_access_at": "2026-01-20T14:00:00Z", "first_completion_at": "2026-04-06T10:00:00Z",
                "first_access_days_from_randomisation": 15, "first_completion_days_from_randomisation": 91,
                "accessed_within_window": True, "practice_completed": True, "completed_within_window": False,
                "protocol_deviations": 0,
            },
        },
    },
    {
        "trial_id": "IMP-02", "ods_code": "A81002", "arm": "implementation",
        "randomised_on": "2026-01-05", "withdrawn_on": "2026-02-16",
        "modules": {
            # d visits {1, 2} + e visit {1} = 3; e's attempt on the withdrawal date was refused.
            # By role: d's two visits as gp, e's one as hca.
            "team": {
                "kind": "team", "accesses": 3, "learners": 2, "completers": 1,
                "completers_by_role": {"gp": 1},
                "accesses_by_role": {"gp": 2, "hca": 1}, "learners_by_role": {"gp": 1, "hca": 1},
                "first_access_at": "2026-01-26T10:00:00Z", "first_completion_at": "2026-01-26T10:50:00Z",
                "first_access_days_from_randomisation": 21, "first_completion_days_from_randomisation": 21,
                "accessed_within_window": True, "practice_completed": True, "completed_within_window": True,
                "protocol_deviations": 0,
            },
            # d: 02-09 11:00 and 11:20 are one visit, 02-10 another -> 2.
            "in-depth": {
                "kind": "in_depth", "accesses": 2, "learners": 1, "completers": 1,
                "completers_by_role": {"gp": 1},
                "accesses_by_role": {"gp": 2}, "learners_by_role": {"gp": 1},
                "first_access_at": "2026-02-09T11:00:00Z", "first_completion_at": "2026-02-10T11:00:00Z",
                "first_access_days_from_randomisation": 35, "first_completion_days_from_randomisation": 36,
                "accessed_within_window": True, "practice_completed": True, "completed_within_window": True,
                "protocol_deviations": 0,
            },
        },
    },
    {
        "trial_id": "IMP-03", "ods_code": "A81003", "arm": "control",
        "randomised_on": "2026-01-05", "withdrawn_on": None,
        # f's attempts are deviations (team 2, in-depth 1), never accesses.
        "modules": {
            "team": zero("team", randomised=True, deviations=2),
            "in-depth": zero("in_depth", randomised=True, deviations=1),
        },
    },
    {
        "trial_id": None, "ods_code": "B82004", "arm": "not_in_trial",
        "randomised_on": None, "withdrawn_on": None,
        "modules": {
            # m's visit 1 as reception_admin before moving; no completion here.
            "team": {
                **zero("team", randomised=False),
                "accesses": 1, "learners": 1, "first_access_at": "2026-01-15T12:00:00Z",
                "accesses_by_role": {"reception_admin": 1}, "learners_by_role": {"reception_admin": 1},
            },
            "in-depth": {
                "kind": "in_depth", "accesses": 1, "learners": 1, "completers": 1,
                "completers_by_role": {"clinical_pharmacist": 1},
                # g's views 00:00 and 00:10 are one visit.
                "accesses_by_role": {"clinical_pharmacist": 1}, "learners_by_role": {"clinical_pharmacist": 1},
                "first_access_at": "2026-03-01T00:00:00Z", "first_completion_at": "2026-03-01T00:10:00Z",
                "first_access_days_from_randomisation": None, "first_completion_days_from_randomisation": None,
                "accessed_within_window": None, "practice_completed": True, "completed_within_window": None,
                "protocol_deviations": 0,
            },
        },
    },
]

EXPECTED_ARMS = [
    {
        "arm": "implementation", "practices": 2,
        "modules": {
            # accesses [4, 3]: sorted (3, 4); inclusive quartiles with n=2: q1 = 3 + 0.25 * 1 = 3.25,
            # q3 = 3 + 0.75 * 1 = 3.75, median 3.5. learners [3, 2] likewise. completers [3, 1]:
            # q1 = 1 + 0.25 * 2 = 1.5, median 2, q3 = 2.5. Both practices completed; both in window.
            "team": {
                "kind": "team",
                "accesses": spread_of(3.5, 3.25, 3.75, 3, 4),
                "learners": spread_of(2.5, 2.25, 2.75, 2, 3),
                "completers": spread_of(2.0, 1.5, 2.5, 1, 3),
                "practice_completed": {"count": 2, "share": 1.0},
                "completed_within_window": {"count": 2, "share": 1.0},
            },
            # accesses [2, 2], learners and completers [1, 1]; P1 completed after the window: 1 of 2.
            "in-depth": {
                "kind": "in_depth",
                "accesses": spread_of(2.0, 2.0, 2.0, 2, 2),
                "learners": spread_of(1.0, 1.0, 1.0, 1, 1),
                "completers": spread_of(1.0, 1.0, 1.0, 1, 1),
                "practice_completed": {"count": 2, "share": 1.0},
                "completed_within_window": {"count": 1, "share": 0.5},
            },
        },
    },
    {
        # One practice: q1 = q3 = median. The window flag applies (randomised) and is False.
        "arm": "control", "practices": 1,
        "modules": {
            slug: {
                "kind": kind,
                "accesses": spread_of(0.0, 0.0, 0.0, 0, 0),
                "learners": spread_of(0.0, 0.0, 0.0, 0, 0),
                "completers": spread_of(0.0, 0.0, 0.0, 0, 0),
                "practice_completed": {"count": 0, "share": 0.0},
                "completed_within_window": {"count": 0, "share": 0.0},
            }
            for slug, kind in (("team", "team"), ("in-depth", "in_depth"))
        },
    },
    {
        # Not randomised: the window flag never applies, so its count and share are null.
        "arm": "not_in_trial", "practices": 1,
        "modules": {
            "team": {
                "kind": "team",
                "accesses": spread_of(1.0, 1.0, 1.0, 1, 1),
                "learners": spread_of(1.0, 1.0, 1.0, 1, 1),
                "completers": spread_of(0.0, 0.0, 0.0, 0, 0),
                "practice_completed": {"count": 0, "share": 0.0},
                "completed_within_window": {"count": None, "share": None},
            },
            "in-depth": {
                "kind": "in_depth",
                "accesses": spread_of(1.0, 1.0, 1.0, 1, 1),
                "learners": spread_of(1.0, 1.0, 1.0, 1, 1),
                "completers": spread_of(1.0, 1.0, 1.0, 1, 1),
                "practice_completed": {"count": 1, "share": 1.0},
                "completed_within_window": {"count": None, "share": None},
            },
        },
    },
]

EXPECTED_REPORT = {
    "generated_at": "2026-05-01T12:00:00Z",
    "parameters": {"start": None, "end": None, "window_weeks": 12},
    "modules": [
        {"slug": "team", "kind": "team", "title": "Module team", "status": "live", "retired_at": None},
        {"slug": "in-depth", "kind": "in_depth", "title": "Module in-depth", "status": "live", "retired_at": None},
    ],
    "practices": EXPECTED_PRACTICES,
    "arms": EXPECTED_ARMS,
}


def test_fixture_records_what_the_hand_calculation_assumes():
    build_trial()
    # 5 (a) + 2 (b) + 2 (m) + 6 (d) + 1 (e) + 2 (g) page views; the refused attempts recorded nothing.
    assert LearningEvent.objects.views().count() == 18
    assert LearningEvent.objects.filter(event_type="resource_download").count() == 1
    completions = sorted(
        (c.practice.ods_code, c.module.slug, c.role, c.completed_at)
        for c in ModuleCompletion.objects.select_related("practice", "module")
    )
    assert completions == [
        ("A81001", "in-depth", "gp", at(4, 6, 10)),
        ("A81001", "team", "gp", at(1, 12, 9, 59, 59)),
        ("A81001", "team", "practice_manager", at(2, 1)),
        ("A81001", "team", "practice_nurse", at(2, 2, 8, 20)),
        ("A81002", "in-depth", "gp", at(2, 10, 11)),
        ("A81002", "team", "gp", at(1, 26, 10, 50)),
        ("B82004", "in-depth", "clinical_pharmacist", at(3, 1, 0, 10)),
    ]


def test_uptake_report_matches_the_hand_calculation():
    build_trial()
    with time_machine.travel(NOW, tick=False):
        report = uptake_report()
    assert report.as_dict() == EXPECTED_REPORT


def test_practice_uptake_runs_a_fixed_number_of_queries(django_assert_num_queries):
    build_trial()
    # Modules, practices, view aggregates, view aggregates by role, completion aggregates, deviation aggregates.
    with django_assert_num_queries(6):
        rows = practice_uptake()
    assert [row.ods_code for row in rows] == ["A81001", "A81002", "A81003", "B82004"]
    more = practice(arm=Arm.IMPLEMENTATION, trial_id="IMP-00", ods_code="A81000")
    learner_ = learner(practice_=more)
    services.record_access(membership=learner_, module=build_trial_module("team"), at=at(3, 3, 9))
    with django_assert_num_queries(6):
        rows = practice_uptake()
    assert [row.ods_code for row in rows] == ["A81000", "A81001", "A81002", "A81003", "B82004"]
    assert rows[0].modules["team"].accesses == 1


def build_trial_module(slug: str):
    from modules.models import ModulePage

    return ModulePage.objects.get(slug=slug)


def test_period_counts_start_inclusive_and_end_exclusive():
    build_trial()
    rows = practice_uptake(start=date(2026, 2, 1), end=date(2026, 3, 1))

    def brief(row):
        return {
            slug: (
                m.accesses, m.learners, m.completers, m.completers_by_role, m.first_access_at, m.first_completion_at,
                m.first_access_days_from_randomisation, m.accessed_within_window, m.practice_completed,
                m.completed_within_window, m.protocol_deviations,
            )
            for slug, m in row.modules.items()
        }

    assert [brief(row) for row in rows] == [
        # P1 team: m's visit 2 at exactly 02-01 00:00 (start is inclusive) and b's visit 1; a's
        # 01-12 completion is before the period. P1 in-depth: a's views are 01-20 and 04-06, c's
        # download is not a view: nothing, but the practice is randomised so the flags are False.
        {
            "team": (2, 2, 2, {"practice_manager": 1, "practice_nurse": 1}, at(2, 1), at(2, 1), 27, True, True, True, 0),
            "in-depth": (0, 0, 0, {}, None, None, None, False, False, False, 0),
        },
        # P2 team: only e's 02-13 visit; d's completion (01-26) falls before the period.
        {
            "team": (1, 1, 0, {}, at(2, 13, 16), None, 39, True, False, False, 0),
            "in-depth": (2, 1, 1, {"gp": 1}, at(2, 9, 11), at(2, 10, 11), 35, True, True, True, 0),
        },
        # P3: only the 02-20 team deviation is in the period.
        {
            "team": (0, 0, 0, {}, None, None, None, False, False, False, 1),
            "in-depth": (0, 0, 0, {}, None, None, None, False, False, False, 0),
        },
        # P4: m's 01-15 view is before; g's 03-01 00:00 views are at the end, which is exclusive.
        {
            "team": (0, 0, 0, {}, None, None, None, None, False, None, 0),
            "in-depth": (0, 0, 0, {}, None, None, None, None, False, None, 0),
        },
    ]
    implementation = arm_summary(rows)[0]
    assert implementation.arm == "implementation"
    # in-depth accesses [0, 2] -> median 1, q1 0.5, q3 1.5; completers [0, 1] -> 0.5, 0.25, 0.75.
    in_depth = implementation.modules["in-depth"]
    assert (in_depth.accesses.median, in_depth.accesses.q1, in_depth.accesses.q3) == (
        Decimal("1.00"), Decimal("0.50"), Decimal("1.50"),
    )
    assert (in_depth.completers.median, in_depth.completers.q1, in_depth.completers.q3) == (
        Decimal("0.50"), Decimal("0.25"), Decimal("0.75"),
    )
    assert (in_depth.practice_completed.count, in_depth.practice_completed.share) == (1, Decimal("0.5000"))


def test_end_date_includes_the_day_before():
    build_trial()
    rows = practice_uptake(start=date(2026, 3, 1), end=date(2026, 3, 2))
    p4_in_depth = rows[3].modules["in-depth"]
    assert (p4_in_depth.accesses, p4_in_depth.completers) == (1, 1)
    assert sum(m.accesses for row in rows for m in row.modules.values()) == 1


def test_window_weeks_moves_the_window_end():
    build_trial()
    # P1's in-depth completion is 04-06 10:00: 13 weeks end 04-06 00:00 (outside), 14 weeks 04-13.
    assert practice_uptake(window_weeks=13)[0].modules["in-depth"].completed_within_window is False
    rows = practice_uptake(window_weeks=14)
    assert rows[0].modules["in-depth"].completed_within_window is True
    flag = arm_summary(rows)[0].modules["in-depth"].completed_within_window
    assert (flag.count, flag.share) == (2, Decimal("1.0000"))
    # One week: the window ends 01-12 00:00, before P1's first team access (01-12 09:00) and P2's (01-26).
    team = [row.modules["team"] for row in practice_uptake(window_weeks=1)]
    assert [(m.accessed_within_window, m.completed_within_window) for m in team] == [
        (False, False), (False, False), (False, False), (None, None),
    ]


def test_withdrawn_practice_keeps_data_from_before_withdrawal():
    build_trial()
    p2 = practice_uptake()[1]
    assert p2.withdrawn_on == date(2026, 2, 16)
    # e's refused view on the withdrawal date left no event, so team stays at d's 2 visits + e's 1.
    assert p2.modules["team"].accesses == 3
    assert not LearningEvent.objects.filter(practice__ods_code="A81002", occurred_at__gte=at(2, 16)).exists()


def test_practices_argument_limits_the_rows():
    trial = build_trial()
    p1, _, p3, _ = trial["practices"]
    rows = practice_uptake(practices=[p3, p1])
    assert [row.ods_code for row in rows] == ["A81001", "A81003"]
    assert rows[0].modules["team"].accesses == 4


def test_draft_modules_are_left_out():
    build_trial()
    draft = build_module(slug="draft-module", kind="other")
    draft.unpublish()
    assert list(practice_uptake()[0].modules) == ["team", "in-depth"]


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match="start must be before end"):
        practice_uptake(start=date(2026, 3, 1), end=date(2026, 3, 1))
    with pytest.raises(ValueError, match="window_weeks"):
        practice_uptake(window_weeks=-1)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([7], ("7.00", "7.00", "7.00", 7, 7)),
        ([3, 4], ("3.50", "3.25", "3.75", 3, 4)),
        # n=4, inclusive: positions 0.75, 1.5, 2.25 -> 1 + 0.75, 2.5, 3 + 0.25.
        ([4, 1, 3, 2], ("2.50", "1.75", "3.25", 1, 4)),
        # n=5: positions 1, 2, 3 fall on values.
        ([10, 1, 2, 3, 4], ("3.00", "2.00", "4.00", 1, 10)),
        # The pilot's shape: median 11 accesses.
        ([9, 11, 11, 12, 14, 8], ("11.00", "9.50", "11.75", 8, 14)),
    ],
)
def test_spread_uses_inclusive_quartiles(values, expected):
    result = spread(values)
    assert (str(result.median), str(result.q1), str(result.q3), result.min, result.max) == expected


def test_shares_round_half_up_to_four_places():
    from learning.selectors.uptake import _flag_count

    # 58 of 72 practices (the full trial's team module): 0.80555... -> 0.8056.
    assert _flag_count([True] * 58 + [False] * 14).share == Decimal("0.8056")
    assert _flag_count([True, True, False]).share == Decimal("0.6667")
    assert _flag_count([None, None]).count is None


def test_a_renewed_completion_counts_the_learner_once_under_their_first_role_in_the_period():
    from practices.services import change_member_role

    module = build_module(slug="renewable", kind="team", sections=[(1, 0), (1, 0)], valid_months=1)
    s1, s2 = sections_of(module)
    home = practice(arm=Arm.IMPLEMENTATION, trial_id="IMP-09", ods_code="A81009")
    member = learner(practice_=home, role="practice_nurse")
    services.record_access(membership=member, module=module, section=s1, at=at(1, 10, 9))
    services.record_access(membership=member, module=module, section=s2, at=at(1, 10, 9, 5))  # cycle 1
    member = change_member_role(membership=member, role="anp")
    services.start_renewal(membership=member, module=module, at=at(3, 2, 9))
    services.record_access(membership=member, module=module, section=s1, at=at(3, 2, 9, 1))
    services.record_access(membership=member, module=module, section=s2, at=at(3, 2, 9, 2))  # cycle 2
    assert ModuleCompletion.objects.filter(user=member.user).count() == 2

    whole = practice_uptake()[0].modules["renewable"]
    # Visits 1 (01-10) and 2 (03-02); one completer, under the role of the first completion.
    assert (whole.accesses, whole.completers, whole.completers_by_role) == (2, 1, {"practice_nurse": 1})
    assert whole.first_completion_at == at(1, 10, 9, 5)
    later = practice_uptake(start=date(2026, 2, 1))[0].modules["renewable"]
    assert (later.accesses, later.completers, later.completers_by_role) == (1, 1, {"anp": 1})
    assert later.first_completion_at == at(3, 2, 9, 2)


def test_a_window_beyond_ten_years_is_refused():
    with pytest.raises(ValueError, match="window_weeks must be from 0 to 520"):
        practice_uptake(window_weeks=10**20)


def test_a_withdrawal_recorded_late_stops_the_counts_at_the_withdrawal_date():
    """Events recorded before the registry learnt of a withdrawal, but dated after it, are not counted."""
    from learning.models import ProtocolDeviation
    from practices.models import Practice

    module = build_module(slug="late-withdrawal", sections=[(1, 0), (1, 0)])
    first, second = sections_of(module)
    leaving = practice(ods_code="C83001", trial_id="IMP-31", randomised_on=date(2026, 1, 5))
    early, late = learner(practice_=leaving), learner(practice_=leaving, role="practice_nurse")
    control_practice = practice(ods_code="C83002", trial_id="CTL-32", arm=Arm.CONTROL, randomised_on=date(2026, 1, 5))
    control = learner(practice_=control_practice)
    services.record_access(membership=early, module=module, section=first, at=at(2, 2, 9))
    # After the (not yet registered) withdrawal date: a visit, a completion and a deviation.
    services.record_access(membership=late, module=module, section=first, at=at(2, 20, 9))
    for section in sections_of(module):
        services.record_access(membership=late, module=module, section=section, at=at(2, 20, 9, 5))
    services.record_protocol_deviation(membership=control, module=module, section=second, path="/m/", at=at(2, 3, 9))
    services.record_protocol_deviation(membership=control, module=module, section=second, path="/m/", at=at(2, 20, 9))
    assert ModuleCompletion.objects.filter(user=late.user).exists()
    assert ProtocolDeviation.objects.count() == 2
    # The researchers then record both withdrawals, dated 2026-02-16.
    Practice.objects.filter(pk__in=[leaving.pk, control_practice.pk]).update(
        withdrawn_on=date(2026, 2, 16), withdrawal_data_choice=WithdrawalDataChoice.RETAIN,
    )
    rows = {row.ods_code: row.modules["late-withdrawal"] for row in practice_uptake(modules=[module])}
    assert (rows["C83001"].accesses, rows["C83001"].learners, rows["C83001"].completers) == (1, 1, 0)
    assert rows["C83001"].first_completion_at is None
    assert rows["C83002"].protocol_deviations == 1


def test_by_role_counts_each_role_an_event_recorded():
    """A role change within the period: the learner counts under each role, the totals once.

    Added to the trial: c (P1, hca) views in-depth s1 on 03-02 10:00 as hca (visit 1), becomes an
    advanced nurse practitioner (anp), views s2 at 10:10 (29 minutes before the 30-minute gap: still
    visit 1, now as anp; completes in-depth as anp) and s1 again on 03-09 09:00 (visit 2, as anp).
    P1 in-depth was a's two visits as gp. Now accesses 2 + 2 = 4 and learners 2, while by role
    gp 2, hca 1, anp 2 (c's visit 1 carries both roles) and learners gp 1, hca 1, anp 1.
    """
    trial = build_trial()
    p1 = trial["practices"][0]
    d1, d2 = sections_of(trial["in_depth"])
    c = p1.memberships.get(role="hca")
    services.record_access(membership=c, module=trial["in_depth"], section=d1, at=at(3, 2, 10, 0))
    c = change_member_role(membership=c, role="anp")
    services.record_access(membership=c, module=trial["in_depth"], section=d2, at=at(3, 2, 10, 10))
    services.record_access(membership=c, module=trial["in_depth"], section=d1, at=at(3, 9, 9, 0))

    in_depth = practice_uptake()[0].modules["in-depth"]
    assert (in_depth.accesses, in_depth.learners, in_depth.completers) == (4, 2, 2)
    assert in_depth.accesses_by_role == {"anp": 2, "gp": 2, "hca": 1}
    assert in_depth.learners_by_role == {"anp": 1, "gp": 1, "hca": 1}
    assert in_depth.completers_by_role == {"anp": 1, "gp": 1}
    # On 03-09 only c's second visit, as anp, is in the period.
    later = practice_uptake(start=date(2026, 3, 9), end=date(2026, 3, 10))[0].modules["in-depth"]
    assert (later.accesses, later.accesses_by_role, later.learners_by_role) == (1, {"anp": 1}, {"anp": 1})

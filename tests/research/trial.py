"""A small trial for the research export tests, built through the real services (times UTC).

Modules: `team` (kind team): section-1 (no checks), section-2 (one knowledge check), default 80%
threshold, so viewing both sections and answering the check (right or wrong) completes it;
`in-depth` (kind in_depth): section-1 and section-2, no checks.

Practices:
  P1 IMP-01 A81001 implementation england
  P2 CON-02 A81002 control wales
  P3 IMP-03 A81003 implementation england, withdrew 2026-02-16 choosing deletion: contributes no activity
  P4 (none) B82004 not in trial: not exported
  P5 IMP-05 A81005 implementation scotland, withdrew 2026-03-01 choosing retention

Learners (distinctive names, emails and registration-like details, which must appear nowhere):
  a  P1 gp              team: module page 01-12 09:00:00.750 (visit 1), section-1 09:10, section-2 09:20,
                        answers the check wrong 09:21 (section-2 now undertaken: 100% -> completes at
                        09:21:00, visit 1), right 09:22
  b  P1 practice_nurse  in-depth: section-1 02-02 08:00 (visit 1), downloads document 42 at 08:05,
                        section-2 09:00 (60 min later: visit 2) -> completes in-depth 09:00 (100%)
  c  P2 practice_nurse  control arm: tries team section-1 on 01-14 09:00: a protocol deviation
  d  P3 gp              team: section-1 01-20 10:00 (before withdrawal; deleted practice: not exported)
  e  P4 gp              team: section-1 01-21 10:00 (not in trial: not exported)
  f  P5 hca             team: section-1 02-20 10:00:59 (visit 1)
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from accounts.roles import PracticeRole
from learning import services
from practices.models import Arm, Nation, WithdrawalDataChoice
from tests.learning.factories import build_module, check_id, check_option_ids, knowledge_check, sections_of
from tests.practices.factories import make_member, make_practice

CUT_TIME = datetime(2026, 4, 1, 12, 0, tzinfo=UTC)

# Every identifying detail the learners were given; none may appear in any research file.
IDENTIFYING = {
    "a": {"first_name": "Zebedee", "last_name": "Quarrington-Fitch", "email": "zebedee.quarrington@surgery-one.example"},
    "b": {"first_name": "Ottoline", "last_name": "Marchbanks", "email": "ottoline.marchbanks@surgery-one.example"},
    "c": {"first_name": "Hieronymus", "last_name": "Blennerhassett", "email": "hieronymus.b@control.example"},
    "d": {"first_name": "Persephone", "last_name": "Wraxall", "email": "persephone.wraxall@deleted.example"},
    "e": {"first_name": "Lysander", "last_name": "Throckmorton", "email": "lysander@outside.example"},
    "f": {"first_name": "Clementine", "last_name": "Fotheringay", "email": "clementine.f@surgery-five.example"},
}
PRACTICE_NAMES = ("Quince Tree Surgery", "Medlar Lane Practice", "Sloe Hill Health Centre", "Damson Row Clinic",
                  "Rowan Bank Surgery")


def at(month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, micro: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, second, micro, tzinfo=UTC)


def build_trial() -> dict:
    """Build the trial in the module docstring; return its modules, sections, practices and memberships."""
    team = build_module(slug="team", kind="team", sections=[(1, 0), (1, 1)])
    in_depth = build_module(slug="in-depth", kind="in_depth", sections=[(1, 0), (1, 0)])
    t1, t2 = sections_of(team)
    d1, d2 = sections_of(in_depth)

    p1 = make_practice(arm=Arm.IMPLEMENTATION, trial_id="IMP-01", ods_code="A81001", name=PRACTICE_NAMES[0],
                       randomised_on=date(2026, 1, 5))
    p2 = make_practice(arm=Arm.CONTROL, trial_id="CON-02", ods_code="A81002", name=PRACTICE_NAMES[1],
                       nation=Nation.WALES, randomised_on=date(2026, 1, 5))
    p3 = make_practice(arm=Arm.IMPLEMENTATION, trial_id="IMP-03", ods_code="A81003", name=PRACTICE_NAMES[2],
                       randomised_on=date(2026, 1, 5), withdrawn_on=date(2026, 2, 16),
                       withdrawal_data_choice=WithdrawalDataChoice.DELETE, withdrawal_reason="Data-sharing concerns")
    p4 = make_practice(arm=Arm.NOT_IN_TRIAL, ods_code="B82004", name=PRACTICE_NAMES[3])
    p5 = make_practice(arm=Arm.IMPLEMENTATION, trial_id="IMP-05", ods_code="A81005", name=PRACTICE_NAMES[4],
                       nation=Nation.SCOTLAND, randomised_on=date(2026, 1, 12), withdrawn_on=date(2026, 3, 1),
                       withdrawal_data_choice=WithdrawalDataChoice.RETAIN)

    on = date(2026, 1, 1)
    a = make_member(p1, role=PracticeRole.GP, on=on, **IDENTIFYING["a"])
    b = make_member(p1, role=PracticeRole.PRACTICE_NURSE, on=on, **IDENTIFYING["b"])
    c = make_member(p2, role=PracticeRole.PRACTICE_NURSE, on=on, **IDENTIFYING["c"])
    d = make_member(p3, role=PracticeRole.GP, on=on, **IDENTIFYING["d"])
    e = make_member(p4, role=PracticeRole.GP, on=on, **IDENTIFYING["e"])
    f = make_member(p5, role=PracticeRole.HCA, on=on, **IDENTIFYING["f"])

    services.record_access(membership=a, module=team, at=at(1, 12, 9, 0, 0, 750_000))
    services.record_access(membership=a, module=team, section=t1, at=at(1, 12, 9, 10))
    services.record_access(membership=a, module=team, section=t2, at=at(1, 12, 9, 20))
    services.record_knowledge_check_attempt(
        membership=a, section=t2, block_id=check_id(t2), selected_option_ids=check_option_ids(t2, correct=False),
        at=at(1, 12, 9, 21),
    )
    services.record_knowledge_check_attempt(
        membership=a, section=t2, block_id=check_id(t2), selected_option_ids=check_option_ids(t2, correct=True),
        at=at(1, 12, 9, 22),
    )
    services.record_access(membership=b, module=in_depth, section=d1, at=at(2, 2, 8, 0))
    services.record_resource_download(membership=b, section=d1, document_id=42, at=at(2, 2, 8, 5))
    services.record_access(membership=b, module=in_depth, section=d2, at=at(2, 2, 9, 0))
    services.record_protocol_deviation(membership=c, module=team, section=t1, path=t1.url_path, at=at(1, 14, 9, 0))
    services.record_access(membership=d, module=team, section=t1, at=at(1, 20, 10, 0))
    services.record_access(membership=e, module=team, section=t1, at=at(1, 21, 10, 0))
    services.record_access(membership=f, module=team, section=t1, at=at(2, 20, 10, 0, 59))
    return {
        "team": team, "in_depth": in_depth, "team_sections": (t1, t2), "in_depth_sections": (d1, d2),
        "practices": (p1, p2, p3, p4, p5), "members": {"a": a, "b": b, "c": c, "d": d, "e": e, "f": f},
        "check_id": check_id(t2),
        "right_option": check_option_ids(t2, correct=True), "wrong_option": check_option_ids(t2, correct=False),
    }


__all__ = ["CUT_TIME", "IDENTIFYING", "PRACTICE_NAMES", "at", "build_trial", "knowledge_check"]

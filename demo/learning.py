"""Demonstration learning activity for local development (seed_demo); never used in production.

Records what the demo practices' staff did in the demo modules through the real services, at
fixed past times, so the pages, dashboard and uptake report have something true to show: some
staff completed the team module, some are part-way, a few completed the in-depth module, the
withdrawn practice's activity stops before its withdrawal date, and a control-arm learner's
attempt to open a module is a protocol deviation. Runs once: it does nothing if any learning
event exists already.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO

from django.db import transaction

from learning import services
from learning.marking import find_check
from learning.models import LearningEvent, ProtocolDeviation
from modules.models import ModulePage, SectionPage
from practices.models import Arm, Membership

TEAM, IN_DEPTH = "team", "in-depth"
# Practices not in the trial have no randomisation date; their activity starts from here.
NOT_IN_TRIAL_START = date(2025, 1, 6)
SECTION_GAP = timedelta(minutes=7)


@dataclass(frozen=True)
class Plan:
    """What one demo learner did in one module: how far, from which day, in how many sittings."""

    module: str
    day: int  # days after the practice's randomisation date
    sections: int | None = None  # how many sections, in order (None: all of them)
    sittings: int = 1
    wrong_first: bool = False  # answer the first knowledge check wrongly before getting it right
    download: bool = False


# By email, for the demo people demo.accounts creates; anyone else follows DEFAULT_PLANS in turn.
PLANS: dict[str, tuple[Plan, ...]] = {
    "learner@example.org": (Plan(TEAM, 4), Plan(IN_DEPTH, 30, sections=3, wrong_first=True)),
    "lead@example.org": (Plan(TEAM, 3, download=True),),
    "amara.okafor@example.org": (Plan(TEAM, 5), Plan(IN_DEPTH, 20, sittings=2, wrong_first=True, download=True)),
    "tom.hughes@example.org": (Plan(TEAM, 9, sittings=2),),
    "jo.bennett@example.org": (Plan(TEAM, 12, sections=2),),
    "sian.pryce@example.org": (Plan(TEAM, 2), Plan(IN_DEPTH, 10, sittings=3, download=True)),
    "gareth.evans@example.org": (Plan(TEAM, 15), Plan(IN_DEPTH, 40, sections=4, wrong_first=True)),
    "nia.roberts@example.org": (Plan(TEAM, 21, sections=3),),
    "ruth.adeyemi@example.org": (Plan(TEAM, 14), Plan(IN_DEPTH, 40, sittings=2)),
    "dev.patel@example.org": (Plan(TEAM, 60, sections=2),),
    "ciara.byrne@example.org": (Plan(TEAM, 30),),
    "liam.quinn@example.org": (Plan(TEAM, 35, sections=1),),
}
DEFAULT_PLANS: tuple[tuple[Plan, ...], ...] = (
    (Plan(TEAM, 7),),
    (Plan(TEAM, 18, sections=2),),
    (),
)


def _say(stdout: IO[str] | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")


def _start(membership: Membership) -> date:
    return membership.practice.randomised_on or NOT_IN_TRIAL_START


def _record_plan(membership: Membership, module: ModulePage, sections: list[SectionPage], plan: Plan) -> int:
    """Record one plan through the services; return the number of events it added."""
    before = LearningEvent.objects.filter(user_id=membership.user_id).count()
    chosen = sections if plan.sections is None else sections[: plan.sections]
    per_sitting = max(1, -(-len(chosen) // plan.sittings))  # ceiling division
    withdrawn_on = membership.practice.withdrawn_on
    wrong_pending = plan.wrong_first
    for sitting in range(plan.sittings):
        part = chosen[sitting * per_sitting : (sitting + 1) * per_sitting]
        if not part:
            break
        day = _start(membership) + timedelta(days=plan.day + 3 * sitting)
        if withdrawn_on is not None and day >= withdrawn_on:
            break  # nothing is collected from the withdrawal date on
        at = datetime.combine(day, time(9 + (membership.user_id % 8), 5 * (membership.user_id % 6)), tzinfo=UTC)
        services.record_access(membership=membership, module=module, at=at)
        for section in part:
            at += SECTION_GAP
            services.record_access(membership=membership, module=module, section=section, at=at)
            for block in section.body:
                if block.block_type != "knowledge_check":
                    continue
                check = find_check(section.body, block.id)
                wrong = [option.id for option in check.options if not option.is_correct]
                if wrong_pending and wrong:
                    at += timedelta(minutes=1)
                    services.record_knowledge_check_attempt(
                        membership=membership, section=section, block_id=check.id, selected_option_ids=wrong[:1], at=at
                    )
                    wrong_pending = False
                at += timedelta(minutes=1)
                services.record_knowledge_check_attempt(
                    membership=membership, section=section, block_id=check.id,
                    selected_option_ids=sorted(check.correct_ids), at=at,
                )
            if plan.download:
                documents = sorted(_resource_documents(section))
                if documents:
                    at += timedelta(minutes=1)
                    services.record_resource_download(
                        membership=membership, section=section, document_id=documents[0], at=at
                    )
    return LearningEvent.objects.filter(user_id=membership.user_id).count() - before


def _resource_documents(section: SectionPage) -> set[int]:
    from modules.structure import section_document_ids

    return section_document_ids(section)


def seed_demo_learning(stdout: IO[str] | None = None) -> None:
    """Record the demo learners' activity once, if the demo modules and practices exist."""
    if LearningEvent.objects.exists() or ProtocolDeviation.objects.exists():
        _say(stdout, "Demo learning activity: records exist already; left unchanged.")
        return
    modules = {module.slug: module for module in ModulePage.objects.live().filter(slug__in=[TEAM, IN_DEPTH])}
    if set(modules) != {TEAM, IN_DEPTH}:
        _say(stdout, "Demo learning activity skipped: the demo modules 'team' and 'in-depth' are not published.")
        return
    sections = {
        slug: list(SectionPage.objects.child_of(module).live().order_by("path")) for slug, module in modules.items()
    }
    memberships = list(
        Membership.objects.filter(ended_on__isnull=True)
        .select_related("user", "practice")
        .order_by("practice__ods_code", "user__email")
    )
    tracked = [m for m in memberships if m.practice.arm in (Arm.IMPLEMENTATION, Arm.NOT_IN_TRIAL)]
    control = [m for m in memberships if m.practice.arm == Arm.CONTROL]
    if not tracked:
        _say(stdout, "Demo learning activity skipped: no members of implementation or not-in-trial practices.")
        return

    with transaction.atomic():
        events = 0
        for index, membership in enumerate(tracked):
            plans = PLANS.get(membership.user.email, DEFAULT_PLANS[index % len(DEFAULT_PLANS)])
            for plan in plans:
                events += _record_plan(membership, modules[plan.module], sections[plan.module], plan)
        for membership in control[:1]:
            # A usual-care learner following a colleague's link: a deviation, never an access.
            day = _start(membership) + timedelta(days=8)
            services.record_protocol_deviation(
                membership=membership, module=modules[TEAM], section=None, path=modules[TEAM].url or "/modules/team/",
                at=datetime.combine(day, time(10, 30), tzinfo=UTC),
            )
    completions = sum(1 for _ in modules[TEAM].completions.all()) + sum(1 for _ in modules[IN_DEPTH].completions.all())
    _say(
        stdout,
        f"Demo learning activity: {events} events for {len(tracked)} learners, {completions} completions, "
        f"{min(len(control), 1)} protocol deviation.",
    )

"""Question analytics for content editors: how each knowledge check is answered and how far learners get.

Read from what learners did (`KnowledgeCheckAttempt`, `SectionProgress`, `ModuleCompletion`) and the
modules as they are now (live modules and their live sections, in learner order). No practice and
no person is named. The report views (learning/admin_reports.py) show any count under
SMALL_COUNT_LIMIT as "fewer than 5", in the admin and in the exports alike.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from modules.models import ModulePage, SectionPage

from ..marking import KNOWLEDGE_CHECK, check_from_block
from ..models import KnowledgeCheckAttempt, ModuleCompletion, SectionProgress, SectionStatus

# Counts below this are not shown exactly, so a figure can never point at one or two learners.
SMALL_COUNT_LIMIT = 5
FEWER_THAN = f"fewer than {SMALL_COUNT_LIMIT}"


def shown_count(count: int) -> int | str:
    """Return the count as the reports show it: exact from SMALL_COUNT_LIMIT up, else "fewer than 5"."""
    return count if count >= SMALL_COUNT_LIMIT else FEWER_THAN


def whole_percent(share: Decimal | None) -> str:
    """Return a share (0 to 1) as a whole percent, rounded half up, e.g. "67%"; "" when there is none."""
    if share is None:
        return ""
    return f"{(share * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)}%"


@dataclass(frozen=True)
class KnowledgeCheckFigures:
    """How one knowledge check has been answered, over every attempt recorded."""

    module_id: int
    module_title: str
    section_number: int
    section_title: str
    block_id: str
    question: str
    attempts: int
    learners: int
    correct_first_time: int
    most_chosen_wrong_option: str
    most_chosen_wrong_count: int

    @property
    def first_attempt_correct_share(self) -> Decimal | None:
        """Return the share of learners whose first answer was right (0 to 1), or None with no learners."""
        if not self.learners:
            return None
        return Decimal(self.correct_first_time) / Decimal(self.learners)


@dataclass(frozen=True)
class SectionReach:
    """How many learners reached one section of a module, and how many went no further."""

    module_id: int
    module_title: str
    section_number: int
    section_id: int
    section_title: str
    reached: int
    worked_through: int
    stopped_here: int


def _live_modules() -> list[ModulePage]:
    return list(ModulePage.objects.live().order_by("path"))


def _live_sections(module: ModulePage) -> list[SectionPage]:
    return list(SectionPage.objects.child_of(module).live().order_by("path"))


def knowledge_check_figures() -> list[KnowledgeCheckFigures]:
    """Return each knowledge check of every live module, in learner order, with how it was answered.

    Attempts: every answer submitted. Learners: distinct learners who answered. Correct first time:
    learners whose earliest answer was right. Most chosen wrong option: the option, wrong in the
    check as it is now, that answers picked most often (ties go to the one listed first).
    """
    rows: list[KnowledgeCheckFigures] = []
    for module in _live_modules():
        sections = _live_sections(module)
        attempts_by_check: dict[tuple[int, str], list[dict]] = defaultdict(list)
        attempts = (
            KnowledgeCheckAttempt.objects.filter(module=module, section__in=sections)
            .order_by("attempted_at", "id")
            .values("section_id", "block_id", "user_id", "is_correct", "selected_option_ids")
        )
        for attempt in attempts.iterator():
            attempts_by_check[(attempt["section_id"], attempt["block_id"])].append(attempt)
        for number, section in enumerate(sections, start=1):
            for block in section.body:
                if block.block_type != KNOWLEDGE_CHECK:
                    continue
                check = check_from_block(block)
                answers = attempts_by_check.get((section.pk, check.id), [])
                first_answers: dict[int, bool] = {}
                wrong_picks: Counter[str] = Counter()
                for answer in answers:
                    first_answers.setdefault(answer["user_id"], answer["is_correct"])
                    for option_id in answer["selected_option_ids"]:
                        option = check.option(option_id)
                        if option is not None and not option.is_correct:
                            wrong_picks[option_id] += 1
                wrong_text, wrong_count = "", 0
                for option in check.options:  # in the order listed, so the first of a tie wins
                    if wrong_picks[option.id] > wrong_count:
                        wrong_text, wrong_count = option.text, wrong_picks[option.id]
                rows.append(
                    KnowledgeCheckFigures(
                        module_id=module.pk,
                        module_title=module.title,
                        section_number=number,
                        section_title=section.title,
                        block_id=check.id,
                        question=check.question,
                        attempts=len(answers),
                        learners=len(first_answers),
                        correct_first_time=sum(first_answers.values()),
                        most_chosen_wrong_option=wrong_text,
                        most_chosen_wrong_count=wrong_count,
                    )
                )
    return rows


def section_reach() -> list[SectionReach]:
    """Return, for each live section of every live module in learner order, how far learners got.

    Reached: learners who opened the section. Worked through: learners who undertook it (the
    section rule in learning/measures.py). Stopped here: learners who have not completed the module
    and for whom this is the furthest section they opened.
    """
    rows: list[SectionReach] = []
    for module in _live_modules():
        sections = _live_sections(module)
        position = {section.pk: number for number, section in enumerate(sections, start=1)}
        reached: dict[int, set[int]] = defaultdict(set)
        worked_through: dict[int, set[int]] = defaultdict(set)
        furthest: dict[int, int] = {}
        progress = SectionProgress.objects.filter(module=module, section_id__in=position).values_list(
            "user_id", "section_id", "status"
        )
        for user_id, section_id, status in progress.iterator():
            reached[section_id].add(user_id)
            if status == SectionStatus.COMPLETED:
                worked_through[section_id].add(user_id)
            furthest[user_id] = max(furthest.get(user_id, 0), position[section_id])
        completed = set(ModuleCompletion.objects.filter(module=module).values_list("user_id", flat=True))
        stopped = Counter(number for user_id, number in furthest.items() if user_id not in completed)
        for number, section in enumerate(sections, start=1):
            rows.append(
                SectionReach(
                    module_id=module.pk,
                    module_title=module.title,
                    section_number=number,
                    section_id=section.pk,
                    section_title=section.title,
                    reached=len(reached[section.pk]),
                    worked_through=len(worked_through[section.pk]),
                    stopped_here=stopped[number],
                )
            )
    return rows

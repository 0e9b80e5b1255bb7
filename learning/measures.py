"""The trial's measures, defined once: access (visits), engagement and completion.

Every report, dashboard, export and API reads these definitions; nothing else restates them.

- Access: a learner opening a module. Page views (the module page or any of its sections) by the
  same learner in the same module less than VISIT_GAP apart belong to one access, a *visit*.
  A view VISIT_GAP or more after the learner's previous view in that module starts a new visit.
  Raw page views are kept as events too.
- Engagement: the weighted share of the module's sections the learner has undertaken, 0-100%.
  A section without knowledge checks is undertaken when the learner views it; a section with
  knowledge checks is undertaken when the learner has also answered every check in it (right or
  wrong). Section weights are the editor's; a section of weight 2 counts twice.
- Completion: engagement at or above the module's completion threshold (default 80%) and, if the
  module has a knowledge-check pass mark, at least that share of the module's checks answered
  correctly at least once. Recorded once per learner per module (per renewal cycle) with the module
  version and time, and never undone.
- Per practice: see learning.uptake.practice_uptake; the window defaults to DEFAULT_WINDOW_WEEKS.
- Withdrawal: nothing is collected for a practice from the start of its withdrawal date (UK
  time), protocol deviations included, and nothing dated from then on is counted, even if it was
  recorded before the withdrawal was entered in the registry (collection_ends_at).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from modules.structure import CompletionTargets

VISIT_GAP = timedelta(minutes=30)
DEFAULT_WINDOW_WEEKS = 12
# The longest window a report accepts: ten years, longer than any trial's follow-up. Anything
# beyond is a typing slip, and a window of billions of weeks would overflow date arithmetic.
MAX_WINDOW_WEEKS = 520
HUNDRED = Decimal(100)


def collection_ends_at(withdrawn_on: date | None) -> datetime | None:
    """Return the moment collection stops for a practice withdrawn on that date (its UK midnight), or None."""
    if withdrawn_on is None:
        return None
    # The site's time zone, as Practice.is_withdrawn_on reads the date the services compare.
    return timezone.make_aware(datetime.combine(withdrawn_on, time.min))


def starts_new_visit(previous_view_at: datetime | None, view_at: datetime) -> bool:
    """Return True if a view at view_at starts a new visit after the learner's previous view."""
    return previous_view_at is None or view_at - previous_view_at >= VISIT_GAP


def engagement_percent(weights: Mapping[int, int], undertaken: Iterable[int]) -> Decimal:
    """Return the weighted share (0-100, two decimals) of sections undertaken."""
    total = sum(weights.values())
    if total <= 0:
        return Decimal("0.00")
    done = sum(weights[section_id] for section_id in set(undertaken) if section_id in weights)
    return (Decimal(done) * HUNDRED / Decimal(total)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def section_undertaken(*, viewed: bool, check_ids: Iterable[str], answered_check_ids: Iterable[str]) -> bool:
    """Return True if a viewed section's every knowledge check has been answered."""
    return viewed and set(check_ids) <= set(answered_check_ids)


@dataclass(frozen=True)
class CompletionRule:
    """A module's completion rule: engagement threshold and optional knowledge-check pass mark."""

    threshold: int
    pass_mark: int | None = None

    def is_met(self, *, engagement: Decimal, check_ids: Iterable[str], correct_check_ids: Iterable[str]) -> bool:
        """Return True if engagement and (when set) the pass mark are met."""
        if engagement < Decimal(self.threshold):
            return False
        return self.checks_passed(check_ids=check_ids, correct_check_ids=correct_check_ids)

    def checks_passed(self, *, check_ids: Iterable[str], correct_check_ids: Iterable[str]) -> bool:
        """Return True if no pass mark applies or the share answered correctly reaches it."""
        checks = set(check_ids)
        if self.pass_mark is None or not checks:
            return True
        correct = len(checks & set(correct_check_ids))
        return Decimal(correct) * HUNDRED / Decimal(len(checks)) >= Decimal(self.pass_mark)


def completion_rule(targets: CompletionTargets) -> CompletionRule:
    """Return the completion rule for a module's threshold and pass mark."""
    return CompletionRule(threshold=targets.threshold, pass_mark=targets.pass_mark)

"""The trial's measures, defined once: page views, visits, engagement, completion, the window, display.

Every report, page, export and API reads these rules; nothing else restates them. docs/measures.md
describes them for the trial team.

- Page views: module-page and section-page views (VIEW_EVENT_TYPES). Knowledge-check answers,
  downloads and completions are recorded as events too, but are not page views.
- Access: a learner opening a module. Page views (the module page or any of its sections) by the
  same learner in the same module less than VISIT_GAP apart belong to one access, a *visit*.
  A view VISIT_GAP or more after the learner's previous view in that module starts a new visit.
  Raw page views are kept as events too.
- Engagement: the weighted share of the module's sections the learner has undertaken, 0-100% with
  two decimals (half up). A section without knowledge checks is undertaken when the learner views
  it; a section with knowledge checks is undertaken when the learner has also answered every check
  in it (right or wrong). Section weights are the editor's; a section of weight 2 counts twice.
- Completion: stored engagement at or above the module's completion threshold and, if the module
  has a knowledge-check pass mark, at least that share of the module's checks answered correctly
  at least once. The numbers are the module's (modules.structure.completion_targets). Recorded
  once per learner per module (per renewal cycle) with the module version and time; never undone.
- Display: engagement is shown in whole percent rounded down (shown_percent), so a page never
  shows a threshold as reached when it is not.
- Window: from 00:00 UTC on the randomisation date to 00:00 UTC DEFAULT_WINDOW_WEEKS weeks later.
- Withdrawal: nothing is collected for a practice from the start of its withdrawal date (UK
  time), protocol deviations included, and nothing dated from then on is counted, even if it was
  recorded before the withdrawal was entered in the registry (collection_ends_at).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal

from django.utils import timezone

from modules.structure import CompletionTargets

# The event types that are page views (LearningEvent.event_type values; models.EventType names them).
VIEW_EVENT_TYPES: tuple[str, ...] = ("module_view", "section_view")

VISIT_GAP_MINUTES = 30
VISIT_GAP = timedelta(minutes=VISIT_GAP_MINUTES)
VISIT_RULE = f"Page views in a module less than {VISIT_GAP_MINUTES} minutes apart are one visit."

SECTION_RULE = "A section counts once you have read it and answered any knowledge checks in it."

DEFAULT_WINDOW_WEEKS = 12
# The longest window a report accepts: ten years, longer than any trial's follow-up. Anything
# beyond is a typing slip, and a window of billions of weeks would overflow date arithmetic.
MAX_WINDOW_WEEKS = 520
HUNDRED = Decimal(100)
ENGAGEMENT_PLACES = Decimal("0.01")


# --- Dates and the window ------------------------------------------------------------------------


def utc_midnight(day: date) -> datetime:
    """Return 00:00 UTC at the start of the given date (a date used as a report boundary)."""
    return datetime.combine(day, time.min, tzinfo=UTC)


def window_ends_at(randomised_on: date | None, *, weeks: int = DEFAULT_WINDOW_WEEKS) -> datetime | None:
    """Return the end of a practice's window (exclusive), or None for a practice never randomised."""
    if randomised_on is None:
        return None
    return utc_midnight(randomised_on) + timedelta(weeks=weeks)


def within_window(window_end: datetime | None, moment: datetime | None) -> bool | None:
    """Return whether something that happened at moment is within the window; None with no window."""
    if window_end is None:
        return None
    # Activity before randomisation counts as within: the window has an end, not a start.
    return moment is not None and moment < window_end


def days_from_randomisation(randomised_on: date | None, moment: datetime | None) -> int | None:
    """Return whole days from the randomisation date to moment's UTC date (negative if before), or None."""
    if randomised_on is None or moment is None:
        return None
    return (moment.astimezone(UTC).date() - randomised_on).days


def collection_ends_at(withdrawn_on: date | None) -> datetime | None:
    """Return the moment collection stops for a practice withdrawn on that date (its UK midnight), or None."""
    if withdrawn_on is None:
        return None
    # The site's time zone, as Practice.is_withdrawn_on reads the date the services compare.
    return timezone.make_aware(datetime.combine(withdrawn_on, time.min))


# --- Visits, engagement, completion ----------------------------------------------------------------


def starts_new_visit(previous_view_at: datetime | None, view_at: datetime) -> bool:
    """Return True if a view at view_at starts a new visit after the learner's previous view."""
    return previous_view_at is None or view_at - previous_view_at >= VISIT_GAP


def engagement_percent(weights: Mapping[int, int], undertaken: Iterable[int]) -> Decimal:
    """Return the weighted share (0-100, two decimals) of sections undertaken."""
    total = sum(weights.values())
    if total <= 0:
        return Decimal("0.00")
    done = sum(weights[section_id] for section_id in set(undertaken) if section_id in weights)
    return (Decimal(done) * HUNDRED / Decimal(total)).quantize(ENGAGEMENT_PLACES, rounding=ROUND_HALF_UP)


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
        if Decimal(engagement) < Decimal(self.threshold):
            return False
        return self.checks_passed(check_ids=check_ids, correct_check_ids=correct_check_ids)

    def checks_passed(self, *, check_ids: Iterable[str], correct_check_ids: Iterable[str]) -> bool:
        """Return True if no pass mark applies or the share answered correctly reaches it."""
        checks = set(check_ids)
        if self.pass_mark is None or not checks:
            return True
        correct = len(checks & set(correct_check_ids))
        return Decimal(correct) * HUNDRED / Decimal(len(checks)) >= Decimal(self.pass_mark)

    @property
    def requirement(self) -> str:
        """Return what a learner must do to complete, in the pages' words (lower case, no full stop)."""
        wording = f"work through at least {self.threshold}% of the module"
        if self.pass_mark:
            wording += f" and answer at least {self.pass_mark}% of its knowledge checks correctly"
        return wording


def completion_rule(targets: CompletionTargets) -> CompletionRule:
    """Return the completion rule for a module's threshold and pass mark."""
    return CompletionRule(threshold=targets.threshold, pass_mark=targets.pass_mark)


# --- Display ---------------------------------------------------------------------------------------


def shown_percent(engagement: Decimal | int | float | str | None) -> int:
    """Return engagement as the whole percent every page shows: rounded down, so 79.55% shows as 79%.

    Rounded down, never to nearest: the completion rule compares the stored engagement with a whole
    threshold, so a figure shown at or above the threshold always means the threshold is reached.
    """
    if engagement is None:
        return 0
    return int(Decimal(str(engagement)).to_integral_value(rounding=ROUND_FLOOR))

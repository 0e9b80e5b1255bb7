"""The uptake dashboard's figures: the filters, the report they select, and the three charts' series.

Every figure comes from `learning.selectors.uptake.uptake_report()` (the same function the
`uptake_report` command and the research API call), so the dashboard cannot disagree with them.
The weekly chart counts accesses by the week each access (visit) began, from the same view events.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django import forms
from django.db.models import Min

from learning.measures import DEFAULT_WINDOW_WEEKS, MAX_WINDOW_WEEKS, collection_ends_at, utc_midnight
from learning.models import LearningEvent
from learning.selectors.uptake import REPORT_PRACTICE_FIELDS, UptakeReport, uptake_report
from practices.models import Arm, Nation, Practice

TRIAL_ARMS = (Arm.IMPLEMENTATION, Arm.CONTROL)
ARM_LABELS = {Arm.IMPLEMENTATION.value: "Implementation", Arm.CONTROL.value: "Control (usual care)"}


class DashboardFilterForm(forms.Form):
    """The dashboard's filters, all optional; every error names the field and says why."""

    start = forms.DateField(
        required=False, label="From", help_text="First day counted (inclusive). Empty: from the beginning.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the first day as a date, for example 2026-01-31."},
    )
    end = forms.DateField(
        required=False, label="Up to", help_text="Day after the last day counted (exclusive). Empty: up to now.",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter the end as a date, for example 2026-04-01."},
    )
    window_weeks = forms.IntegerField(
        required=False, min_value=0, max_value=MAX_WINDOW_WEEKS, initial=DEFAULT_WINDOW_WEEKS,
        label="Window (weeks from randomisation)",
        error_messages={
            "invalid": "Enter the window as a whole number of weeks.",
            "min_value": f"The window is 0 to {MAX_WINDOW_WEEKS} weeks.",
            "max_value": f"The window is 0 to {MAX_WINDOW_WEEKS} weeks.",
        },
    )
    arm = forms.ChoiceField(required=False, label="Arm", choices=[("", "Both arms"), *ARM_LABELS.items()])
    nation = forms.ChoiceField(required=False, label="Nation", choices=[("", "All nations"), *Nation.choices])

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and start >= end:
            self.add_error("end", "The end must be after the first day.")
        if cleaned.get("window_weeks") is None and "window_weeks" not in self.errors:
            cleaned["window_weeks"] = DEFAULT_WINDOW_WEEKS
        return cleaned


@dataclass(frozen=True)
class Filters:
    start: date | None = None
    end: date | None = None
    window_weeks: int = DEFAULT_WINDOW_WEEKS
    arm: str = ""
    nation: str = ""

    @classmethod
    def from_form(cls, form: DashboardFilterForm) -> Filters:
        data = form.cleaned_data
        return cls(start=data.get("start"), end=data.get("end"), window_weeks=data["window_weeks"],
                   arm=data.get("arm") or "", nation=data.get("nation") or "")


def selected_practices(filters: Filters) -> list[Practice]:
    """Return the trial's practices the filters select (every arm's practices, not those outside the trial)."""
    # Only what the report reads: loading every column of thousands of practices took longer than the figures.
    practices = Practice.objects.in_trial().only(*REPORT_PRACTICE_FIELDS)
    if filters.arm:
        practices = practices.filter(arm=filters.arm)
    if filters.nation:
        practices = practices.filter(nation=filters.nation)
    return list(practices)


def report_for(filters: Filters) -> UptakeReport:
    """Return the uptake report the filters select."""
    return uptake_report(start=filters.start, end=filters.end, window_weeks=filters.window_weeks,
                         practices=selected_practices(filters))


@dataclass(frozen=True)
class Series:
    """One arm's line or dots in a chart."""

    arm: str
    label: str
    points: tuple[tuple[float, float], ...]


def _arms_in(report: UptakeReport) -> list[str]:
    return [arm for arm in (a.value for a in TRIAL_ARMS) if any(p.arm == arm for p in report.practices)]


def cumulative_first_completion(report: UptakeReport, *, kind: str, weeks: int) -> list[Series]:
    """Per arm, the share of practices (0-1) with a first completion of a `kind` module by each week since randomisation.

    Week w counts first completions less than 7w days after randomisation (within the first w weeks);
    week 0 is the randomisation date itself, so every line starts at 0. The denominator is every
    selected practice of the arm.
    """
    series = []
    for arm in _arms_in(report):
        rows = [p for p in report.practices if p.arm == arm]
        firsts = []
        for practice in rows:
            days = [m.first_completion_days_from_randomisation for m in practice.modules.values()
                    if m.kind == kind and m.first_completion_days_from_randomisation is not None]
            firsts.append(min(days) if days else None)
        points = tuple(
            (float(week), sum(1 for d in firsts if d is not None and d < 7 * week) / len(rows))
            for week in range(weeks + 1)
        )
        series.append(Series(arm=arm, label=ARM_LABELS[arm], points=points))
    return series


def chart_weeks(report: UptakeReport, *, window_weeks: int) -> int:
    """Return how many weeks the cumulative charts show: the window, or longer if completions came later."""
    latest = max(
        (m.first_completion_days_from_randomisation for p in report.practices for m in p.modules.values()
         if m.first_completion_days_from_randomisation is not None),
        default=0,
    )
    return max(window_weeks, latest // 7 + 1, 1)


def accesses_per_practice(report: UptakeReport) -> list[Series]:
    """Per arm, each practice's accesses over every module (one dot per practice), in trial-ID order."""
    series = []
    for arm in _arms_in(report):
        totals = [sum(m.accesses for m in p.modules.values()) for p in report.practices if p.arm == arm]
        points = tuple((float(i), float(total)) for i, total in enumerate(totals))
        series.append(Series(arm=arm, label=ARM_LABELS[arm], points=points))
    return series


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_accesses(report: UptakeReport, filters: Filters) -> tuple[list[date], list[Series]]:
    """Per arm, accesses begun in each calendar week (Monday to Sunday, UTC) of the period, zeros included.

    An access is a visit (learning.measures): it is counted in the week of its first page view, the
    same visits uptake_report counts, over the same practices, modules and withdrawal cut-offs.
    """
    practice_arms = {}
    for practice in selected_practices(filters):
        practice_arms[practice.pk] = practice.arm
    withdrawn = {p.pk: collection_ends_at(p.withdrawn_on) for p in Practice.objects.filter(
        pk__in=practice_arms, withdrawn_on__isnull=False)}
    views = LearningEvent.objects.views().filter(practice_id__in=practice_arms)
    if filters.start:
        views = views.filter(occurred_at__gte=utc_midnight(filters.start))
    if filters.end:
        views = views.filter(occurred_at__lt=utc_midnight(filters.end))
    slugs = {m.slug for m in report.modules}
    views = views.filter(module__slug__in=slugs)
    visits = (
        views.values("practice_id", "user_id", "module_id", "visit_number")
        .annotate(began=Min("occurred_at")).order_by()
    )
    counts: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    first_week = last_week = None
    for visit in visits:
        began: datetime = visit["began"]
        cut_off = withdrawn.get(visit["practice_id"])
        if cut_off is not None and began >= cut_off:
            continue
        week = _monday(began.astimezone(UTC).date())
        counts[practice_arms[visit["practice_id"]]][week] += 1
        first_week = week if first_week is None or week < first_week else first_week
        last_week = week if last_week is None or week > last_week else last_week
    if filters.start:
        first_week = _monday(filters.start)
    if filters.end:
        last_week = _monday(filters.end - timedelta(days=1))
    if first_week is None or last_week is None or last_week < first_week:
        return [], []
    weeks = []
    week = first_week
    while week <= last_week and len(weeks) < 520:
        weeks.append(week)
        week += timedelta(days=7)
    series = [
        Series(arm=arm, label=ARM_LABELS[arm],
               points=tuple((float(i), float(counts[arm].get(w, 0))) for i, w in enumerate(weeks)))
        for arm in _arms_in(report)
    ]
    return weeks, series

"""Question analytics in the Wagtail admin: two report views with Wagtail's CSV and XLSX exports.

For editors, moderators and admins (checked on every request, not only in the menu). The figures
come from learning.selectors.content_analytics; any count under 5 is shown as "fewer than 5" on the
page and in both exports, and a share is shown only when at least 5 learners stand behind it. Text
cells pass through core.exports (no spreadsheet formulas).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.urls import include, path, reverse
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.reports import ReportView

from accounts.roles import ADMIN, EDITOR, MODERATOR, user_in_groups
from core.exports import SafeExportMixin

from .selectors.content_analytics import (
    FEWER_THAN,
    SMALL_COUNT_LIMIT,
    KnowledgeCheckFigures,
    SectionReach,
    knowledge_check_figures,
    section_reach,
    shown_count,
    whole_percent,
)

REPORT_GROUPS = (EDITOR, MODERATOR, ADMIN)
NOT_SHOWN = f"not shown ({FEWER_THAN} learners)"


def may_see_question_analytics(user) -> bool:
    """Return True for editors, moderators and admins (never learners, practice leads or researchers)."""
    return user_in_groups(user, *REPORT_GROUPS)


class QuestionAnalyticsMenuItem(MenuItem):
    """A Reports menu entry shown only to those who may open the report."""

    def is_shown(self, request) -> bool:
        return may_see_question_analytics(request.user)


@dataclass(frozen=True)
class CheckRow:
    """One knowledge check as the report shows it."""

    module: str
    section: str
    question: str
    attempts: int | str
    learners: int | str
    correct_first_time: str
    most_chosen_wrong_option: str
    most_chosen_wrong_count: int | str

    @classmethod
    def from_figures(cls, figures: KnowledgeCheckFigures) -> CheckRow:
        enough = figures.learners >= SMALL_COUNT_LIMIT
        return cls(
            module=figures.module_title,
            section=f"{figures.section_number}. {figures.section_title}",
            question=figures.question,
            attempts=shown_count(figures.attempts),
            learners=shown_count(figures.learners),
            correct_first_time=whole_percent(figures.first_attempt_correct_share) if enough else NOT_SHOWN,
            most_chosen_wrong_option=figures.most_chosen_wrong_option or "none chosen",
            # No wrong answer at all is a plain 0, not a small count to hide.
            most_chosen_wrong_count=(
                shown_count(figures.most_chosen_wrong_count) if figures.most_chosen_wrong_option else 0
            ),
        )


@dataclass(frozen=True)
class ReachRow:
    """One section of a module as the report shows it."""

    module: str
    section: str
    reached: int | str
    worked_through: int | str
    stopped_here: int | str

    @classmethod
    def from_figures(cls, figures: SectionReach) -> ReachRow:
        return cls(
            module=figures.module_title,
            section=f"{figures.section_number}. {figures.section_title}",
            reached=shown_count(figures.reached),
            worked_through=shown_count(figures.worked_through),
            stopped_here=shown_count(figures.stopped_here),
        )


class QuestionAnalyticsView(SafeExportMixin, ReportView):
    """A report for content staff, refused on the server to everyone else."""

    paginate_by = 100

    def dispatch(self, request, *args, **kwargs):
        if not may_see_question_analytics(request.user):
            raise PermissionDenied("Question analytics are for editors, moderators and admins.")
        return super().dispatch(request, *args, **kwargs)

    def get_heading(self, queryset, field):
        return str(self.export_headings[field])


class KnowledgeCheckReportView(QuestionAnalyticsView):
    """Per knowledge check: attempts, share right at the first attempt, the most chosen wrong option."""

    page_title = "Knowledge checks"
    header_icon = "help"
    index_url_name = "learning_reports:knowledge_checks"
    index_results_url_name = "learning_reports:knowledge_checks_results"
    export_filename = "knowledge-checks"
    columns = [
        Column("module", label="Module"),
        Column("section", label="Section"),
        Column("question", label="Question"),
        Column("attempts", label="Attempts"),
        Column("learners", label="Learners"),
        Column("correct_first_time", label="Right at the first attempt"),
        Column("most_chosen_wrong_option", label="Most chosen wrong option"),
        Column("most_chosen_wrong_count", label="Times chosen"),
    ]
    list_export = [column.name for column in columns]
    export_headings = {column.name: column.label for column in columns}

    def get_queryset(self):
        return [CheckRow.from_figures(figures) for figures in knowledge_check_figures()]


class SectionReachReportView(QuestionAnalyticsView):
    """Per module and section: how many learners reached it, worked through it, and went no further."""

    page_title = "Where learners stop"
    header_icon = "list-ol"
    index_url_name = "learning_reports:section_reach"
    index_results_url_name = "learning_reports:section_reach_results"
    export_filename = "section-reach"
    columns = [
        Column("module", label="Module"),
        Column("section", label="Section"),
        Column("reached", label="Learners who reached it"),
        Column("worked_through", label="Worked through it"),
        Column("stopped_here", label="Went no further (module not completed)"),
    ]
    list_export = [column.name for column in columns]
    export_headings = {column.name: column.label for column in columns}

    def get_queryset(self):
        return [ReachRow.from_figures(figures) for figures in section_reach()]


def admin_urls() -> list:
    """Return the reports' admin URLs (registered by learning/wagtail_hooks.py under /admin/reports/learning/)."""
    urls = [
        path("knowledge-checks/", KnowledgeCheckReportView.as_view(), name="knowledge_checks"),
        path(
            "knowledge-checks/results/", KnowledgeCheckReportView.as_view(results_only=True),
            name="knowledge_checks_results",
        ),
        path("section-reach/", SectionReachReportView.as_view(), name="section_reach"),
        path("section-reach/results/", SectionReachReportView.as_view(results_only=True), name="section_reach_results"),
    ]
    return [path("reports/learning/", include((urls, "learning_reports"), namespace="learning_reports"))]


def knowledge_checks_menu_item() -> MenuItem:
    """Return the Reports menu entry of the knowledge-check report."""
    return QuestionAnalyticsMenuItem(
        "Knowledge checks", reverse("learning_reports:knowledge_checks"), icon_name="help", order=910
    )


def section_reach_menu_item() -> MenuItem:
    """Return the Reports menu entry of the where-learners-stop report."""
    return QuestionAnalyticsMenuItem(
        "Where learners stop", reverse("learning_reports:section_reach"), icon_name="list-ol", order=920
    )

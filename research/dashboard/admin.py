"""Research > Uptake in the Wagtail admin: the per-arm summary and charts, and the per-practice report.

For researchers and admins only, checked on every request (ResearcherOnlyMixin). Both pages take
the same filters (period, window, arm, nation) from the query string; a bad filter is shown with
its field's message and the page answers 400 with no figures rather than figures for something
else. The per-practice table is a Wagtail report view: sortable, searchable by trial ID or ODS
code, and exported to CSV and XLSX with formula cells neutralised (core.exports).
"""

from __future__ import annotations

from decimal import Decimal

from django.http import QueryDict
from django.urls import include, path, reverse, reverse_lazy
from django.views.generic import TemplateView
from wagtail import hooks
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView

from core.exports import SafeExportMixin
from learning.selectors.uptake import arm_as_dict
from practices.models import Nation

from ..admin_views import ResearcherOnlyMixin
from . import charts
from .data import (
    ARM_LABELS,
    DashboardFilterForm,
    Filters,
    accesses_per_practice,
    chart_weeks,
    cumulative_first_completion,
    report_for,
    weekly_accesses,
)

NATIONS = dict(Nation.choices)


def _filters(request) -> tuple[DashboardFilterForm, Filters | None]:
    data = request.GET if any(key in request.GET for key in DashboardFilterForm.base_fields) else None
    form = DashboardFilterForm(data)
    if data is None:
        form = DashboardFilterForm({"window_weeks": DashboardFilterForm.base_fields["window_weeks"].initial})
    return form, (Filters.from_form(form) if form.is_valid() else None)


def _filter_query(request) -> str:
    query = QueryDict(mutable=True)
    for key in DashboardFilterForm.base_fields:
        if request.GET.get(key):
            query[key] = request.GET[key]
    return query.urlencode()


def _percent(share: Decimal | float | None) -> str:
    return "–" if share is None else f"{Decimal(str(share)) * 100:.1f}%"


def _chart_table(series, x_labels, value) -> dict:
    """Return a chart's data as a table: one row per x value, one column per arm."""
    return {
        "columns": [one.label for one in series],
        "rows": [(label, [value(one.points[i][1]) for one in series]) for i, label in enumerate(x_labels)],
    }


class UptakeDashboardView(ResearcherOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    """The per-arm summary and three charts, with their descriptions and data tables."""

    template_name = "research/admin/uptake_dashboard.html"
    page_title = "Uptake by arm"
    header_icon = "table"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": "Uptake by arm"}]

    def get(self, request, *args, **kwargs):
        form, filters = _filters(request)
        context = self.get_context_data(form=form, filters=filters, query=_filter_query(request))
        if filters is not None:
            context.update(self._figures(filters))
        return self.render_to_response(context, status=200 if filters is not None else 400)

    def _figures(self, filters: Filters) -> dict:
        report = report_for(filters)
        modules = {m.slug: m for m in report.modules}
        summary = []
        for arm in report.arms:
            data = arm_as_dict(arm)
            for slug, figures in data["modules"].items():
                summary.append({"arm": ARM_LABELS.get(arm.arm, arm.arm), "practices": arm.practices,
                                "module": modules[slug].title if slug in modules else slug, "figures": figures,
                                "completed_share": _percent(figures["practice_completed"]["share"]),
                                "window_share": _percent(figures["completed_within_window"]["share"])})
        weeks = chart_weeks(report, window_weeks=filters.window_weeks)
        team = cumulative_first_completion(report, kind="team", weeks=weeks)
        in_depth = cumulative_first_completion(report, kind="in_depth", weeks=weeks)
        dots = accesses_per_practice(report)
        calendar_weeks, weekly = weekly_accesses(report, filters)
        week_labels = [str(w) for w in range(weeks + 1)]
        chart_list = [
            {
                "id": "team-completion", "title": "Practices with a first team-module completion",
                "description": (
                    f"Cumulative share of practices in each arm in which at least one person had completed a "
                    f"team module, by weeks since the practice's randomisation, up to week {weeks}; the dotted "
                    f"line marks the end of the {filters.window_weeks}-week window."
                ),
                "chart": charts.cumulative_chart(team, weeks=weeks, window_weeks=filters.window_weeks),
                "table": _chart_table(team, week_labels, _percent), "x_heading": "Weeks since randomisation",
            },
            {
                "id": "in-depth-completion", "title": "Practices with a first in-depth completer",
                "description": (
                    f"Cumulative share of practices in each arm with at least one person who had completed an "
                    f"in-depth module, by weeks since randomisation, up to week {weeks}; the dotted line marks "
                    f"the end of the {filters.window_weeks}-week window."
                ),
                "chart": charts.cumulative_chart(in_depth, weeks=weeks, window_weeks=filters.window_weeks),
                "table": _chart_table(in_depth, week_labels, _percent), "x_heading": "Weeks since randomisation",
            },
            {
                "id": "accesses-per-practice", "title": "Accesses per practice",
                "description": (
                    "Each dot is one practice: its accesses (visits) to all modules in the period, in its arm's "
                    "column. Dots are spread sideways only so that equal values stay visible."
                ),
                "chart": charts.dot_chart(dots),
                "table": {
                    "columns": [one.label for one in dots],
                    "rows": [
                        ("Practices", [str(len(one.points)) for one in dots]),
                        ("Accesses per practice, lowest to highest",
                         [", ".join(f"{y:g}" for y in sorted(p[1] for p in one.points)) for one in dots]),
                    ],
                },
                "x_heading": "",
            },
            {
                "id": "weekly-accesses", "title": "Accesses per week",
                "description": (
                    "Accesses (visits) begun in each calendar week, Monday to Sunday in UTC, in each arm's "
                    "selected practices; an access counts in the week of its first page view."
                ),
                "chart": charts.weekly_chart(weekly, calendar_weeks) if calendar_weeks else None,
                "table": _chart_table(weekly, [f"{w:%-d %b %Y}" for w in calendar_weeks], lambda v: f"{v:g}"),
                "x_heading": "Week beginning",
            },
        ]
        return {"report": report, "summary": summary, "charts": chart_list,
                "practices_url": reverse("research_uptake:practices")}


def _row(practice, modules) -> dict:
    row = {
        "trial_id": practice.trial_id or "", "ods_code": practice.ods_code,
        "arm": ARM_LABELS.get(practice.arm, practice.arm),
        "randomised_on": practice.randomised_on, "withdrawn_on": practice.withdrawn_on,
    }
    for index, module in enumerate(modules):
        figures = practice.modules[module.slug]
        row[f"m{index}_accesses"] = figures.accesses
        row[f"m{index}_learners"] = figures.learners
        row[f"m{index}_completers"] = figures.completers
        row[f"m{index}_first_completion_days"] = figures.first_completion_days_from_randomisation
        row[f"m{index}_within_window"] = {True: "yes", False: "no", None: ""}[figures.completed_within_window]
    return row


class PracticeUptakeReportView(ResearcherOnlyMixin, SafeExportMixin, ReportView):
    """Every selected practice's figures per module: sortable, searchable, CSV and XLSX."""

    page_title = "Uptake by practice"
    header_icon = "table"
    breadcrumbs_items = [
        {"url": reverse_lazy("wagtailadmin_home"), "label": "Home"},
        {"url": reverse_lazy("research_uptake:index"), "label": "Uptake by arm"},
    ]
    index_url_name = "research_uptake:practices"
    index_results_url_name = "research_uptake:practices_results"
    export_filename = "uptake-by-practice"
    is_searchable = True
    search_fields = ("trial_id", "ods_code")
    paginate_by = 100
    default_ordering = "trial_id"
    template_name = "research/admin/uptake_practices.html"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.filter_form, self.selection = _filters(request)
        self.report = report_for(self.selection) if self.selection else None
        modules = self.report.modules if self.report else []
        columns = [
            Column("trial_id", label="Trial ID", sort_key="trial_id"),
            Column("ods_code", label="ODS code", sort_key="ods_code"),
            Column("arm", label="Arm", sort_key="arm"),
            Column("randomised_on", label="Randomised", sort_key="randomised_on"),
            Column("withdrawn_on", label="Withdrawn", sort_key="withdrawn_on"),
        ]
        for index, module in enumerate(modules):
            columns += [
                Column(f"m{index}_accesses", label=f"{module.title}: accesses", sort_key=f"m{index}_accesses"),
                Column(f"m{index}_learners", label=f"{module.title}: learners", sort_key=f"m{index}_learners"),
                Column(f"m{index}_completers", label=f"{module.title}: completers", sort_key=f"m{index}_completers"),
                Column(f"m{index}_first_completion_days", label=f"{module.title}: days to first completion",
                       sort_key=f"m{index}_first_completion_days"),
                Column(f"m{index}_within_window", label=f"{module.title}: completed within window"),
            ]
        self.columns = columns
        self.list_export = [column.name for column in columns]
        self.export_headings = {column.name: column.label for column in columns}

    def get_heading(self, queryset, field):
        return str(self.export_headings[field])

    def get_base_queryset(self):
        if self.report is None:
            return []
        return [_row(practice, self.report.modules) for practice in self.report.practices]

    def order_queryset(self, queryset):
        ordering = self.ordering or self.default_ordering
        key = ordering.lstrip("-")
        # Empty values (no trial ID, no completion yet) always sort last, whichever the direction.
        present = [row for row in queryset if row.get(key) not in (None, "")]
        missing = [row for row in queryset if row.get(key) in (None, "")]
        present.sort(key=lambda row: row[key], reverse=ordering.startswith("-"))
        return present + missing

    def search_queryset(self, queryset):
        if not self.is_searching:
            return queryset
        needle = self.search_query.strip().lower()
        return [row for row in queryset if any(needle in str(row[field]).lower() for field in self.search_fields)]

    def get_context_data(self, *args, **kwargs):
        context = super().get_context_data(*args, **kwargs)
        context.update(filter_form=self.filter_form, dashboard_url=reverse("research_uptake:index"),
                       query=_filter_query(self.request))
        return context

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if self.selection is None and hasattr(response, "status_code"):
            response.status_code = 400
        return response


@hooks.register("register_admin_urls")
def register_uptake_urls():
    urls = [
        path("", UptakeDashboardView.as_view(), name="index"),
        path("practices/", PracticeUptakeReportView.as_view(), name="practices"),
        path("practices/results/", PracticeUptakeReportView.as_view(results_only=True), name="practices_results"),
    ]
    return [path("research/uptake/", include((urls, "research_uptake"), namespace="research_uptake"))]


@hooks.register("register_research_menu_item")
def register_uptake_menu_item():
    from ..wagtail_hooks import ResearchMenuItem

    return ResearchMenuItem("Uptake", reverse("research_uptake:index"), icon_name="table", order=50)


"""Research > Data cuts in the Wagtail admin: list, create, follow progress and download (researchers and admins only).

Every view checks the user's groups on the server. Creating and downloading go through
research.services, which write the export audit and Wagtail's audit log.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.generic import FormView, TemplateView, View
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from accounts.roles import ADMIN, RESEARCHER, user_in_groups

from .forms import DataCutForm
from .models import CutStatus, DataCut
from .services import create_cut, fail_interrupted_cuts, record_cut_download

INDEX_URL = "research_cuts:index"


def may_export_research_data(user) -> bool:
    """Return True for researchers and admins (superusers too): the only people who see data cuts."""
    return user_in_groups(user, RESEARCHER, ADMIN)


class ResearcherOnlyMixin:
    """Refuse anyone who is not a researcher or an admin, whatever the URL they reach."""

    def dispatch(self, request, *args, **kwargs):
        if not may_export_research_data(request.user):
            raise PermissionDenied("Only researchers and admins can use data cuts.")
        response = super().dispatch(request, *args, **kwargs)
        # Cut pages show live progress and lead to trial data: never from a cache.
        add_never_cache_headers(response)
        return response


def _time_left(cut: DataCut) -> str:
    """Return an estimate of the time left for a running cut, in words, or an empty string."""
    if cut.status != CutStatus.RUNNING or not cut.started_at or not cut.rows_written or not cut.rows_total:
        return ""
    elapsed = (timezone.now() - cut.started_at).total_seconds()
    remaining = max(cut.rows_total - cut.rows_written, 0) * elapsed / cut.rows_written
    if remaining < 60:
        return "less than a minute"
    minutes = round(remaining / 60)
    return f"about {minutes} minute{'s' if minutes != 1 else ''}"


def cut_state(cut: DataCut) -> dict:
    """Return what the cut's page shows about its progress (also its JSON twin, for the poller)."""
    if cut.status == CutStatus.READY:
        message = f"Ready: {cut.rows_total:,} rows written."
    elif cut.status == CutStatus.FAILED:
        message = cut.error or "The export failed."
    elif cut.status == CutStatus.RUNNING:
        left = _time_left(cut)
        message = f"Written {cut.rows_written:,} of {cut.rows_total:,} rows." + (f" Time left: {left}." if left else "")
    else:
        message = f"Waiting to start ({cut.rows_total:,} rows to write)."
    return {
        "status": cut.status,
        "status_label": cut.get_status_display(),
        "rows_written": cut.rows_written,
        "rows_total": cut.rows_total,
        "percent": cut.percent,
        "time_left": _time_left(cut),
        "message": message,
        "finished": cut.status in (CutStatus.READY, CutStatus.FAILED),
    }


class CutIndexView(ResearcherOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    """Past and running cuts, newest first, with their checksums."""

    template_name = "research/admin/cut_index.html"
    page_title = "Data cuts"
    header_icon = "download"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": "Data cuts"}]

    def get_context_data(self, **kwargs):
        fail_interrupted_cuts()
        context = super().get_context_data(**kwargs)
        context["cuts"] = DataCut.objects.select_related("requested_by").order_by("-cut_at", "-id")
        return context


class CutCreateView(ResearcherOnlyMixin, WagtailAdminTemplateMixin, FormView):
    """Freeze a new cut now and start writing its files in the background."""

    template_name = "research/admin/cut_create.html"
    form_class = DataCutForm
    page_title = "Create a data cut"
    header_icon = "plus"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": reverse(INDEX_URL), "label": "Data cuts"}, {"url": "", "label": "Create"}]

    def form_valid(self, form):
        try:
            cut = create_cut(
                name=form.cleaned_data["name"], start=form.cleaned_data["start"], end=form.cleaned_data["end"],
                requested_by=self.request.user,
            )
        except ValidationError as error:
            for field, problems in getattr(error, "message_dict", {None: error.messages}).items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
            return self.form_invalid(form)
        frozen_at = f"{cut.cut_at:%Y-%m-%d %H:%M:%S} UTC"
        messages.success(self.request, f"Data cut {cut.name} frozen at {frozen_at}; writing its files.")
        return redirect("research_cuts:detail", cut.pk)


class CutDetailView(ResearcherOnlyMixin, WagtailAdminTemplateMixin, TemplateView):
    """One cut: its parameters, progress (polled), files with checksums, and the download when ready."""

    template_name = "research/admin/cut_detail.html"
    header_icon = "download"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.cut = get_object_or_404(DataCut.objects.select_related("requested_by"), pk=kwargs["pk"])

    def get_page_title(self) -> str:
        return f"Data cut {self.cut.name}"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": reverse(INDEX_URL), "label": "Data cuts"},
                {"url": "", "label": self.cut.name}]

    def get_context_data(self, **kwargs):
        if self.cut.status == CutStatus.RUNNING and fail_interrupted_cuts():
            self.cut.refresh_from_db()
        context = super().get_context_data(**kwargs)
        context["cut"] = self.cut
        context["state"] = cut_state(self.cut)
        return context


class CutStatusView(ResearcherOnlyMixin, View):
    """The cut's progress as JSON, for its page's poller."""

    def get(self, request, pk: int) -> HttpResponse:
        cut = get_object_or_404(DataCut, pk=pk)
        return JsonResponse(cut_state(cut))


class CutDownloadView(ResearcherOnlyMixin, View):
    """Send a ready cut's zip, recording the download in the export audit and Wagtail's audit log (POST only)."""

    http_method_names = ["post"]

    def post(self, request, pk: int) -> HttpResponse:
        cut = get_object_or_404(DataCut, pk=pk)
        if not cut.is_ready:
            raise Http404("This cut has no complete files to download.")
        record_cut_download(cut=cut, user=request.user)
        response = FileResponse(cut.archive.open("rb"), as_attachment=True, filename=f"data-cut-{cut.name}.zip",
                                content_type="application/zip")
        response["X-Content-Type-Options"] = "nosniff"
        return response

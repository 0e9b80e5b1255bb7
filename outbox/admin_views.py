"""The outbox in the Wagtail admin: a read-only listing for admins, and Retry for a job that gave up.

Jobs carry whole emails (sign-in, reset and invitation links are bearer secrets) and the errors of
mail servers, which quote addresses. The listing therefore shows what a job is and how it is
going, never its arguments: an email is named by its recipient's masked address, and an error's
addresses and links are masked before display.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.ui.tables import ButtonsColumnMixin, Column, DateColumn, TitleColumn
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button

from core import converters  # noqa: F401 (registers the <id:...> converter)
from core.log_redaction import redact
from core.permissions import AdminOnlyPermissionPolicy

from .models import Job, JobStatus
from .services import EMAIL_TASK, retry_job

ADMIN_ACTIONS = frozenset({"view", "retry"})
ADDRESS = re.compile(r"([A-Za-z0-9_%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9.-]+\.[A-Za-z]{2,})")
LINK = re.compile(r"\b(?:https?|ftp)://[^\s'\"<>]+", re.IGNORECASE)
ERROR_PREVIEW_CHARS = 160


def mask_addresses(text: str) -> str:
    """Return the text with each email address cut to its first letter and its domain."""
    return ADDRESS.sub(r"\1…@\2", text)


def public_error(job: Job) -> str:
    """Return the job's last error with addresses masked, links removed and our secret paths redacted."""
    return mask_addresses(LINK.sub("[link]", redact(job.last_error)))


def describe_job(job: Job) -> str:
    """Return what the job is: an email and its masked recipients, or the task's name."""
    if job.task != EMAIL_TASK:
        return job.task
    payload = job.args[0] if job.args and isinstance(job.args[0], dict) else {}
    recipients = [mask_addresses(str(address)) for address in payload.get("to", [])]
    # A delivered email's arguments are cleared (outbox.services._finish): nothing left to name.
    return f"Email to {', '.join(recipients)}" if recipients else "Email"



class JobColumn(ButtonsColumnMixin, TitleColumn):
    """What the job is, with the row's buttons (Retry) beside it."""

    def __init__(self, *args, get_buttons, **kwargs):
        super().__init__(*args, **kwargs)
        self._get_buttons = get_buttons

    def get_buttons(self, instance, parent_context):
        return self._get_buttons(instance)


class JobIndexView(IndexView):
    """The outbox, newest first, with Retry on each job that gave up."""

    default_ordering = "-created_at"
    retry_url_name: str | None = None

    @cached_property
    def columns(self):
        # Wagtail puts the row buttons only in a first column it builds from a model field, and
        # what a job is comes from its arguments, not a field: this view adds that column itself.
        job = JobColumn("kind", label="Job", accessor=describe_job, get_buttons=self.get_list_buttons)
        return [job, *super().columns]

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if instance.status == JobStatus.FAILED and self.retry_url_name and self.user_has_permission("retry"):
            buttons.append(
                Button("Retry", url=reverse(self.retry_url_name, args=(instance.pk,)), icon_name="rotate", priority=10)
            )
        return buttons


class RetryView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    """Show a job that gave up and its error, and on POST give it a fresh set of attempts."""

    permission_policy = None
    permission_required = "retry"
    template_name = "outbox/admin/retry.html"
    page_title = "Retry outbox job"
    header_icon = "rotate"
    index_url_name: str | None = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(Job, pk=kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return describe_job(self.object)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": "Outbox"},
            {"url": "", "label": "Retry"},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            job=self.object, kind=describe_job(self.object), error=public_error(self.object),
            index_url=reverse(self.index_url_name),
        )
        return context

    def post(self, request, *args, **kwargs):
        try:
            retry_job(job=self.object, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"{describe_job(self.object)} will be tried again.")
        return redirect(self.index_url_name)


class JobViewSet(ModelViewSet):
    """Outbox jobs in the Wagtail admin: read-only for admins, plus Retry."""

    model = Job
    icon = "mail"
    menu_label = "Outbox"
    menu_order = 900
    add_to_admin_menu = True
    inspect_view_enabled = False
    copy_view_enabled = False
    add_to_reference_index = False
    index_view_class = JobIndexView
    list_display = [
        Column("status", label="Status", sort_key="status", accessor="get_status_display"),
        Column("attempts", label="Attempts", accessor=lambda job: f"{job.attempts} of {job.max_attempts}"),
        Column(
            "available_at", label="Next attempt", sort_key="available_at",
            accessor=lambda job: job.available_at if job.status == JobStatus.PENDING else None,
        ),
        Column(
            "last_error", label="Last error",
            accessor=lambda job: (error[:ERROR_PREVIEW_CHARS] + "…") if len(error := public_error(job)) > (
                ERROR_PREVIEW_CHARS
            ) else error,
        ),
        DateColumn("created_at", label="Created", sort_key="created_at"),
    ]
    list_filter = ["status"]
    # Nothing to export: a job's contents are what the listing keeps back.
    list_export: list = []

    @property
    def permission_policy(self):
        return AdminOnlyPermissionPolicy(self.model, actions=ADMIN_ACTIONS)

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(retry_url_name=self.get_url_name("retry"), **kwargs)

    @property
    def retry_view(self):
        return self.construct_view(RetryView)

    def get_urlpatterns(self):
        # Jobs are written by the outbox service only: no add, edit, copy or delete screens.
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("retry/<id:pk>/", self.retry_view, name="retry"),
        ]

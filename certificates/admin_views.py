"""Wagtail admin screens for certificates: a read-only listing and inspect view, and Revoke."""

from __future__ import annotations

from django.contrib.admin.utils import quote
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.functional import cached_property
from django.views.generic.edit import FormView
from wagtail.admin import messages
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import InspectView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.history import HistoryView
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets.button import Button

from core import converters  # noqa: F401 (registers the <id:...> converter)
from core.exports import SafeExportIndexView
from core.permissions import AdminOnlyPermissionPolicy

from .forms import RevokeForm
from .models import Certificate
from .services import revoke_certificate

ADMIN_ACTIONS = frozenset({"view", "revoke"})



class StatusColumn(Column):
    """Show valid, expired or revoked as of today."""

    def get_value(self, instance) -> str:
        return instance.status.capitalize()


class CertificateIndexView(SafeExportIndexView):
    """The certificate listing, with Revoke in each row's menu while the certificate is valid."""

    revoke_url_name: str | None = None

    def get_list_more_buttons(self, instance):
        buttons = super().get_list_more_buttons(instance)
        if not instance.is_revoked and self.revoke_url_name and self.user_has_permission("revoke"):
            buttons.append(
                Button("Revoke", url=reverse(self.revoke_url_name, args=(quote(instance.pk),)),
                       icon_name="warning", priority=40)
            )
        return buttons


class CertificateInspectView(InspectView):
    """One certificate's details, with a Revoke button while it is not revoked."""

    revoke_url_name: str | None = None

    def get_code_display_value(self) -> str:
        return self.object.display_code

    def get_status_display_value(self) -> str:
        return self.object.status.capitalize()

    @cached_property
    def header_more_buttons(self):
        buttons = list(super().header_more_buttons)
        if not self.object.is_revoked and self.revoke_url_name and self.user_has_permission("revoke"):
            buttons.append(
                Button("Revoke", url=reverse(self.revoke_url_name, args=(quote(self.object.pk),)),
                       icon_name="warning", priority=30)
            )
        return buttons


class CertificateHistoryView(HistoryView):
    """The audit log of one certificate (issue is not logged here; revocation is)."""

    any_permission_required = ["view"]
    header_buttons: list = []


class RevokeView(PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView):
    """Ask an admin for the reason, then revoke the certificate through the service."""

    permission_policy = None
    permission_required = "revoke"
    template_name = "certificates/admin/revoke.html"
    form_class = RevokeForm
    page_title = "Revoke certificate"
    header_icon = "warning"
    index_url_name: str | None = None
    inspect_url_name: str | None = None

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = get_object_or_404(Certificate, pk=kwargs["pk"])

    def get_page_subtitle(self) -> str:
        return str(self.object)

    def get_breadcrumbs_items(self):
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": "Certificates"},
            {"url": reverse(self.inspect_url_name, args=(quote(self.object.pk),)), "label": str(self.object)},
            {"url": "", "label": "Revoke"},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["object"] = self.object
        context["inspect_url"] = reverse(self.inspect_url_name, args=(quote(self.object.pk),))
        return context

    def form_valid(self, form):
        try:
            revoke_certificate(certificate=self.object, by=self.request.user, reason=form.cleaned_data["reason"])
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, messages_ in error.message_dict.items():
                    for message in messages_:
                        form.add_error(field if field in form.fields else None, message)
            else:
                for message in error.messages:
                    form.add_error(None, message)
            return self.form_invalid(form)
        messages.success(self.request, f"Certificate {self.object.display_code} was revoked.")
        return redirect(self.inspect_url_name, quote(self.object.pk))


class CertificateViewSet(ModelViewSet):
    """Certificates in the Wagtail admin: read-only for admins, plus Revoke."""

    model = Certificate
    icon = "doc-full"
    menu_label = "Certificates"
    menu_order = 400
    add_to_admin_menu = True
    inspect_view_enabled = True
    copy_view_enabled = False
    add_to_reference_index = False
    index_view_class = CertificateIndexView
    inspect_view_class = CertificateInspectView
    history_view_class = CertificateHistoryView
    list_display = ["holder_name", "module_title", "module_version", "completed_on", StatusColumn("status"), "issued_at"]
    search_fields = ["holder_name", "module_title", "code"]
    # No certificate code: it is a bearer secret that lets anyone verify (and read) the certificate.
    list_export = [
        "holder_name", "registration", "module_title", "module_version", "completed_on", "learning_hours",
        "status", "issued_at", "expires_on", "revoked_at", "practice",
    ]
    export_filename = "certificates"
    inspect_view_fields = [
        "holder_name", "registration", "module_title", "module_version", "completed_on", "learning_hours",
        "code", "status", "issued_at", "expires_on", "revoked_at", "revoked_by", "revocation_reason", "practice",
    ]

    @property
    def permission_policy(self):
        return AdminOnlyPermissionPolicy(self.model, actions=ADMIN_ACTIONS)

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(
            revoke_url_name=self.get_url_name("revoke"), inspect_url_name=self.get_url_name("inspect"), **kwargs
        )

    def get_history_view_kwargs(self, **kwargs):
        # There is no edit screen: history links back to the inspect view instead.
        return super().get_history_view_kwargs(edit_url_name=self.get_url_name("inspect"), **kwargs)

    @property
    def revoke_view(self):
        return self.construct_view(RevokeView)

    def get_urlpatterns(self):
        # Certificates are issued by the completion service only; there is no add, edit, copy
        # or delete screen to reach, whatever the permission policy says.
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path("inspect/<id:pk>/", self.inspect_view, name="inspect"),
            path("history/<id:pk>/", self.history_view, name="history"),
            path("history-results/<id:pk>/", self.history_results_view, name="history_results"),
            path("revoke/<id:pk>/", self.revoke_view, name="revoke"),
        ]

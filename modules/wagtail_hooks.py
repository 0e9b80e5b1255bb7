"""Admin screens for modules (a read-only list of each module's published versions) and private documents."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.admin.widgets import Button
from wagtail.log_actions import LogFormatter
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permission_policies.pages import PagePermissionPolicy

from core import converters  # noqa: F401 (registers the <id:...> converter)
from core.exports import SafeExportIndexView

from . import admin_views
from .models import ModulePage, ModuleVersion, SectionPage
from .resources import may_open_documents_directly
from .selectors import pending_structure_proposals
from .structure import cached_section_module

page_permission_policy = PagePermissionPolicy()


class ReadOnlyForAdminUsersPolicy(ModelPermissionPolicy):
    """Anyone who may use the admin can view versions; nobody adds, edits or deletes them."""

    def user_has_permission(self, user, action):
        if action != "view":
            return False
        return user.is_active and (user.is_superuser or user.has_perm("wagtailadmin.access_admin"))


class ModuleVersionViewSet(ModelViewSet):
    """Each module's numbered versions: when a change went live and which revisions it contained."""

    model = ModuleVersion
    icon = "history"
    menu_label = "Module versions"
    add_to_settings_menu = False
    add_to_admin_menu = False
    permission_policy = ReadOnlyForAdminUsersPolicy(ModuleVersion)
    index_view_class = SafeExportIndexView
    list_display = ["module", "number", "published_at", "published_by", "proposed_by", "change_note"]
    list_export = ["module", "number", "published_at", "published_by", "proposed_by", "change_note", "content_hash"]
    export_filename = "module-versions"
    list_filter = ["module"]
    inspect_view_enabled = True
    inspect_view_fields = [
        "module", "number", "published_at", "published_by", "proposed_by", "change_note", "revisions", "content_hash",
    ]
    copy_view_enabled = False
    add_to_reference_index = False
    form_fields: list[str] = []


@hooks.register("register_admin_viewset")
def register_module_version_viewset():
    return ModuleVersionViewSet("module_versions", url_prefix="module-versions")


@hooks.register("register_reports_menu_item")
def register_module_versions_menu_item() -> MenuItem:
    return MenuItem("Module versions", reverse("module_versions:index"), icon_name="history", order=900)


@hooks.register("before_serve_document", order=-1)
def refuse_public_document_serving(document, request):
    """Serve a document by its /documents/ address only to content staff; learners use the gated view."""
    if may_open_documents_directly(request.user):
        return None
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied("Open this resource from its module section.")


@hooks.register("before_serve_page", order=-10)
def refuse_sections_of_unpublished_modules(page, request, serve_args, serve_kwargs):
    """Answer 404 for a live section whose module is not live: a module is published as one unit."""
    # Wagtail's routing checks only the page itself is live, not its parents. The module is read
    # from the structure cache the section's renderer uses anyway, so a warm view costs no query.
    if isinstance(page, SectionPage):
        module = cached_section_module(page)
        if module is None or not module.live:
            raise Http404("This section's module is not published.")
    return None


# ---- Retire, don't delete: content learners used is retired (unpublished and kept).


@hooks.register("register_admin_urls")
def register_retirement_urls():
    urls = [
        path("<id:page_id>/retire/", admin_views.retire, name="retire"),
        path("<id:page_id>/reinstate/", admin_views.reinstate, name="reinstate"),
        path("<id:page_id>/structure/", admin_views.change_structure, name="structure"),
        path("<id:page_id>/preview/", admin_views.whole_preview, name="preview"),
        path("structure-changes/", admin_views.proposal_list, name="proposals"),
        path("structure-changes/<id:proposal_id>/", admin_views.proposal_detail, name="proposal"),
    ]
    return [path("modules/", include((urls, "modules_admin"), namespace="modules_admin"))]


class _StructureChangeFormatter(LogFormatter):
    """A structure proposal's log entry, with its note (and the moderator's comment)."""

    verb = ""

    def format_message(self, log_entry) -> str:
        data = log_entry.data or {}
        message = f"Structure change {self.verb}: {data.get('note', '')}"
        if data.get("comment"):
            message += f" Comment: {data['comment']}"
        return message


class ProposeStructureFormatter(_StructureChangeFormatter):
    label = "Propose structure change"
    verb = "proposed"


class ApproveStructureFormatter(_StructureChangeFormatter):
    label = "Approve structure change"
    verb = "approved"


class RejectStructureFormatter(_StructureChangeFormatter):
    label = "Reject structure change"
    verb = "rejected"


@hooks.register("register_log_actions")
def register_retirement_log_actions(actions):
    actions.register_action("modules.retire", "Retire", "Retired (unpublished and kept)")
    actions.register_action("modules.reinstate", "Reinstate", "Reinstated as a draft")
    actions.register_action("modules.propose_structure")(ProposeStructureFormatter)
    actions.register_action("modules.approve_structure")(ApproveStructureFormatter)
    actions.register_action("modules.reject_structure")(RejectStructureFormatter)


class StructureChangesMenuItem(MenuItem):
    """Shown to those who may edit pages (editors, moderators, admins): proposals are theirs to make and decide."""

    def is_shown(self, request) -> bool:
        return page_permission_policy.user_has_any_permission(request.user, {"change", "publish"})


@hooks.register("register_admin_menu_item")
def register_structure_changes_menu_item() -> MenuItem:
    return StructureChangesMenuItem(
        "Structure changes", reverse("modules_admin:proposals"), icon_name="list-ul", order=250
    )


hooks.register("before_delete_page", admin_views.refuse_delete_with_activity)
hooks.register("before_bulk_action", admin_views.refuse_bulk_delete_with_activity)
hooks.register("before_edit_page", admin_views.refuse_editing_retired)


def _retire_button(page, user, priority: int):
    specific = page.specific_deferred
    if not isinstance(specific, ModulePage | SectionPage) or specific.is_retired:
        return
    if isinstance(specific, ModulePage) and admin_views.may_propose(page, user):
        yield Button(
            "Change structure", reverse("modules_admin:structure", args=[page.pk]), icon_name="list-ul",
            priority=priority - 2,
        )
        pending = pending_structure_proposals(specific).first()
        if pending is not None:
            yield Button(
                "Structure change waiting for approval", reverse("modules_admin:proposal", args=[pending.pk]),
                icon_name="warning", priority=priority - 1,
            )
    if admin_views.may_retire(page, user):
        yield Button(
            "Retire", reverse("modules_admin:retire", args=[page.pk]), icon_name="warning", priority=priority
        )


@hooks.register("register_page_listing_more_buttons")
def page_listing_retire_button(page, user, next_url=None):
    yield from _retire_button(page, user, priority=35)


@hooks.register("register_page_header_buttons")
def page_header_retire_button(page, user, view_name, next_url=None):
    yield from _retire_button(page, user, priority=55)

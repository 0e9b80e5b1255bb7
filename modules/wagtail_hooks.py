"""Admin screens for modules (a read-only list of each module's published versions) and private documents."""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy

from core.exports import SafeExportIndexView

from .models import ModuleVersion
from .resources import may_open_documents_directly


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
    list_display = ["module", "number", "published_at", "published_by"]
    list_export = ["module", "number", "published_at", "published_by", "content_hash"]
    export_filename = "module-versions"
    list_filter = ["module"]
    inspect_view_enabled = True
    inspect_view_fields = ["module", "number", "published_at", "published_by", "revisions", "content_hash"]
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

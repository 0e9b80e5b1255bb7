"""Research in the Wagtail admin: Research > Data cuts (researchers and admins only); export actions in the audit log."""

from __future__ import annotations

from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from core import converters  # noqa: F401 (registers the <id:...> converter)

from . import admin_views
from .api import admin_views as token_views
from .services import LOG_CREATED, LOG_DOWNLOADED


class ResearchMenuItem(MenuItem):
    """A menu item shown only to researchers and admins (the views check again on the server)."""

    def is_shown(self, request) -> bool:
        return admin_views.may_export_research_data(request.user)


research_menu = Menu(register_hook_name="register_research_menu_item", construct_hook_name="construct_research_menu")


@hooks.register("register_research_menu_item")
def register_data_cuts_menu_item() -> MenuItem:
    return ResearchMenuItem("Data cuts", reverse("research_cuts:index"), icon_name="download", order=100)


@hooks.register("register_research_menu_item")
def register_api_tokens_menu_item() -> MenuItem:
    return ResearchMenuItem("API tokens", reverse("research_api_tokens:index"), icon_name="key", order=200)


@hooks.register("register_admin_menu_item")
def register_research_menu() -> MenuItem:
    return SubmenuMenuItem("Research", research_menu, icon_name="table", order=700, name="research")


@hooks.register("register_admin_urls")
def register_research_urls():
    urls = [
        path("", admin_views.CutIndexView.as_view(), name="index"),
        path("new/", admin_views.CutCreateView.as_view(), name="create"),
        path("<id:pk>/", admin_views.CutDetailView.as_view(), name="detail"),
        path("<id:pk>/status/", admin_views.CutStatusView.as_view(), name="status"),
        path("<id:pk>/download/", admin_views.CutDownloadView.as_view(), name="download"),
    ]
    token_urls = [
        path("", token_views.TokenIndexView.as_view(), name="index"),
        path("new/", token_views.TokenCreateView.as_view(), name="create"),
        path("<id:pk>/revoke/", token_views.TokenRevokeView.as_view(), name="revoke"),
    ]
    return [
        path("research/cuts/", include((urls, "research_cuts"), namespace="research_cuts")),
        path("research/api-tokens/", include((token_urls, "research_api_tokens"), namespace="research_api_tokens")),
    ]


@hooks.register("register_log_actions")
def register_research_log_actions(actions) -> None:
    actions.register_action(LOG_CREATED, "Create data cut", "Created data cut")
    actions.register_action(LOG_DOWNLOADED, "Download data cut", "Downloaded data cut")

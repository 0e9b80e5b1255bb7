"""Links of the site shell (header navigation and footer), by role: the shell points at every part of the site."""

from __future__ import annotations

from functools import cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse


@cache
def _address(name: str, script_prefix: str, urlconf: str) -> str:
    # A URL map does not change while a process runs: each link is reversed once per map and prefix.
    return reverse(name, urlconf=urlconf)


def _url(name: str) -> str:
    return _address(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)


def site_navigation(request) -> dict:
    """Return the header's navigation links for the current user (marking the current one) and the footer's links."""
    from accounts.roles import ADMIN, EDITOR, MODERATOR, PRACTICE_LEAD, RESEARCHER, shown_in_groups
    from modules.links import module_index_url

    user = getattr(request, "user", None)
    modules_url = module_index_url()
    links: list[dict[str, object]] = []
    if user is not None and user.is_authenticated:
        if modules_url:
            links.append({"label": "My modules", "url": modules_url})
        links.append({"label": "My record", "url": _url("learning:record")})
        links.append({"label": "My certificates", "url": _url("certificates:mine")})
        if shown_in_groups(user, PRACTICE_LEAD):
            links.append({"label": "My practice", "url": _url("learning:practice_dashboard")})
        if shown_in_groups(user, EDITOR, MODERATOR, RESEARCHER, ADMIN):
            links.append({"label": "Admin", "url": _url("wagtailadmin_home")})
    path = getattr(request, "path", "")
    for link in links:
        link["current"] = path == link["url"] or path.startswith(str(link["url"]))
    footer_links = [{"label": "Modules", "url": modules_url}] if modules_url else []
    footer_links.append({"label": "Verify a certificate", "url": _url("certificates:verify")})
    return {"nav_links": links, "footer_links": footer_links, "modules_url": modules_url}

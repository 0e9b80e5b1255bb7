"""Links of the site shell (header navigation and footer), by role: the shell points at every part of the site."""

from __future__ import annotations

from django.urls import reverse


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
        links.append({"label": "My record", "url": reverse("learning:record")})
        links.append({"label": "My certificates", "url": reverse("certificates:mine")})
        if shown_in_groups(user, PRACTICE_LEAD):
            links.append({"label": "My practice", "url": reverse("learning:practice_dashboard")})
        if shown_in_groups(user, EDITOR, MODERATOR, RESEARCHER, ADMIN):
            links.append({"label": "Admin", "url": reverse("wagtailadmin_home")})
    path = getattr(request, "path", "")
    for link in links:
        link["current"] = path == link["url"] or path.startswith(str(link["url"]))
    footer_links = [{"label": "Modules", "url": modules_url}] if modules_url else []
    footer_links.append({"label": "Verify a certificate", "url": reverse("certificates:verify")})
    return {"nav_links": links, "footer_links": footer_links, "modules_url": modules_url}

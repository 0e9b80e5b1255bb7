"""Navigation shown in the site header, by role."""

from __future__ import annotations


def site_navigation(request) -> dict:
    """Return the header's navigation links for the current user, marking the current one."""
    from accounts.roles import ADMIN, EDITOR, MODERATOR, PRACTICE_LEAD, RESEARCHER, user_in_groups

    user = getattr(request, "user", None)
    links: list[dict[str, object]] = []
    if user is not None and user.is_authenticated:
        links.append({"label": "My modules", "url": "/modules/"})
        links.append({"label": "My record", "url": "/learning/record/"})
        links.append({"label": "My certificates", "url": "/certificates/"})
        if user_in_groups(user, PRACTICE_LEAD):
            links.append({"label": "My practice", "url": "/practice/"})
        if user_in_groups(user, EDITOR, MODERATOR, RESEARCHER, ADMIN):
            links.append({"label": "Admin", "url": "/admin/"})
    path = getattr(request, "path", "")
    for link in links:
        link["current"] = path == link["url"] or path.startswith(str(link["url"]))
    return {"nav_links": links}

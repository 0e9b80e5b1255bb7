"""Navigation shown in the site header, by role."""

from __future__ import annotations

from django.urls import reverse


def site_navigation(request) -> dict:
    """Return the header's account links for the current user."""
    from accounts.roles import ADMIN, EDITOR, MODERATOR, PRACTICE_LEAD, RESEARCHER, user_in_groups

    user = getattr(request, "user", None)
    links: list[dict[str, str]] = []
    if user is not None and user.is_authenticated:
        links.append({"label": "My modules", "url": "/modules/"})
        if user_in_groups(user, PRACTICE_LEAD):
            links.append({"label": "Practice", "url": "/practice/"})
        if user_in_groups(user, EDITOR, MODERATOR, ADMIN):
            links.append({"label": "Admin", "url": "/admin/"})
        if user_in_groups(user, RESEARCHER, ADMIN):
            links.append({"label": "Research", "url": "/research/"})
        links.append({"label": "Account", "url": reverse("account_email")})
    return {"nav_links": links}

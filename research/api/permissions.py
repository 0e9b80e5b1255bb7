"""Who may call the research API: researchers and admins."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from .tokens import may_use_research_api


class IsResearcher(BasePermission):
    """Allow active researchers and admins only.

    Read-only comes from the views, which define GET alone (DRF adds HEAD and OPTIONS): any other
    method is 405 Method Not Allowed, for everyone, rather than a 403 that would suggest a role could.
    """

    message = "The research API is for researchers and admins only."

    def has_permission(self, request, view) -> bool:
        return may_use_research_api(request.user)

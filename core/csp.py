"""Content-Security-Policy: django-csp's middleware with the admin's own policy under the admin's URL."""

from __future__ import annotations

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.urls import NoReverseMatch, reverse


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """Send CONTENT_SECURITY_POLICY everywhere except the Wagtail admin, which gets WAGTAIL_ADMIN_CONTENT_SECURITY_POLICY."""

    def get_policy_parts(self, request, response, report_only: bool = False) -> PolicyParts:
        """Return the admin's directives for admin URLs unless the view chose its own policy."""
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and parts.config is None and _in_admin(request.path_info):
            parts.config = settings.WAGTAIL_ADMIN_CONTENT_SECURITY_POLICY["DIRECTIVES"]
        return parts


def _in_admin(path: str) -> bool:
    try:
        return path.startswith(reverse("wagtailadmin_home"))
    except NoReverseMatch:  # a URL map without the admin (some tests use one)
        return False

"""The research API's rate limit: per token (per session user for the docs pages)."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from .. import conf
from ..models import ApiToken


class PerTokenRateThrottle(SimpleRateThrottle):
    """Limit each token to research.conf.api_throttle_rate() requests, whoever else shares its user."""

    scope = "research_api"

    def get_rate(self) -> str:
        # Read on each request (not once at import) so a deployment's setting, or a test's, applies.
        return conf.api_throttle_rate()

    def get_cache_key(self, request, view) -> str | None:
        if isinstance(request.auth, ApiToken):
            ident = f"token-{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}

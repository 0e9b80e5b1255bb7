"""OpenAPI schema scope: only our research API, not the Wagtail admin's internal API."""

from __future__ import annotations

API_PREFIX = "/api/"


def only_public_api(endpoints: list, **kwargs) -> list:
    """Keep the endpoints under /api/ (drf-spectacular preprocessing hook)."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith(API_PREFIX)]

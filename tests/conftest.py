"""Shared fixtures and the rules for tests that need PostgreSQL, Redis or Chromium.

Tests marked `postgres`, `redis` or `browser` skip with a reason when the service is absent, so a
newcomer's `make test` passes; CI sets REQUIRE_ALL_SERVICES=1, which turns any such skip into a
failure.
"""

from __future__ import annotations

import os
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.db import connection

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _redis_reachable() -> bool:
    url = os.environ.get("REDIS_URL")
    if not url:
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), timeout=1):
            return True
    except OSError:
        return False


def _missing_service(item) -> str | None:
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        return "needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)"
    if item.get_closest_marker("redis") and not _redis_reachable():
        return "needs Redis: set REDIS_URL=redis://... to a running server (CI does)"
    if item.get_closest_marker("browser") and not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        return f"needs Chromium at {CHROMIUM} (apt-get install chromium)"
    return None


def pytest_runtest_setup(item):
    reason = _missing_service(item)
    if reason:
        if os.environ.get("REQUIRE_ALL_SERVICES") == "1":
            pytest.fail(f"REQUIRE_ALL_SERVICES=1 but this test {reason}")
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    """Keep uploaded and generated files out of the working tree."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _clear_cache():
    """Start each test with an empty cache so rate limits never leak between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def browser():
    """Chromium for a browser test; the test fails on any Content-Security-Policy violation or off-site request."""
    from tests.browser import watched_chromium

    with watched_chromium() as chromium:
        yield chromium
        # Pages may still be reporting: give each open page a moment before reading the problems.
        for context in chromium.contexts:
            for page in context.pages:
                page.wait_for_timeout(100)
        assert chromium.problems == [], "\n".join(chromium.problems)


__all__ = ["settings"]

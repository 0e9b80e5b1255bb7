"""Published content's cache entries kept in process memory under the site-wide content generation."""

from __future__ import annotations

import time
from types import SimpleNamespace

import pytest
from django.core.cache import cache, caches
from django.core.signals import request_finished, request_started

from core import content_cache

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_request():
    request_started.send(sender=None)
    yield
    request_finished.send(sender=None)


def test_within_a_generation_a_process_reads_its_own_memory(in_request):
    cache.set("modules:thing", "first", None)
    assert content_cache.get("modules:thing") == "first"
    cache.set("modules:thing", "changed behind its back", None)
    assert content_cache.get("modules:thing") == "first"


def test_an_invalidation_reaches_the_next_read(in_request):
    content_cache.set("modules:thing", "first", 60)
    assert content_cache.get("modules:thing") == "first"
    cache.set("modules:thing", "second", None)
    content_cache.content_changed()
    assert content_cache.get("modules:thing") == "second"


def test_another_process_changing_the_generation_empties_this_ones_memory():
    request_started.send(sender=None)
    content_cache.set("modules:thing", "first", 60)
    assert content_cache.get("modules:thing") == "first"
    request_finished.send(sender=None)
    # Another process published something: the shared entry and the generation both changed.
    cache.set("modules:thing", "second", None)
    cache.set(content_cache.GENERATION_KEY, "another process's generation", None)
    request_started.send(sender=None)
    assert content_cache.get("modules:thing") == "second"
    request_finished.send(sender=None)


def test_outside_a_request_every_read_goes_to_the_shared_cache():
    content_cache.set("modules:thing", "first", 60)
    cache.set("modules:thing", "second", None)
    assert content_cache.get("modules:thing") == "second"
    assert content_cache.local("modules:local", lambda: object()) is not content_cache.local("modules:local", object)


def test_a_process_on_its_fallback_cache_keeps_nothing(in_request, monkeypatch):
    backend = caches["default"]
    if isinstance(getattr(type(backend), "redis_down", None), property):
        # The Redis cache (core.cache.FallbackRedisCache): as if it had just failed.
        monkeypatch.setattr(backend, "_down_until", time.monotonic() + 60)
    else:
        monkeypatch.setattr(backend, "redis_down", True, raising=False)
    assert content_cache._shared_cache_is_fallback()
    content_cache.content_changed()
    cache.set("modules:thing", "first", None)
    assert content_cache.get("modules:thing") == "first"
    cache.set("modules:thing", "second", None)
    assert content_cache.get("modules:thing") == "second"


def test_local_values_are_kept_per_generation(in_request):
    made = []

    def make():
        made.append(1)
        return SimpleNamespace(n=len(made))

    assert content_cache.local(("shell", 1), make).n == 1
    assert content_cache.local(("shell", 1), make).n == 1
    content_cache.content_changed()
    assert content_cache.local(("shell", 1), make).n == 2


def test_unknown_addresses_never_end_the_generation(client):
    client.get("/modules/")
    before = cache.get(content_cache.GENERATION_KEY)
    assert before is not None
    for number in range(3):
        client.get(f"/no-such-page-{number}/")
    assert cache.get(content_cache.GENERATION_KEY) == before

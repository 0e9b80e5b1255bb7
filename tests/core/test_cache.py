"""The Redis cache falls back to process memory when Redis is unreachable, and recovers cleanly."""

from __future__ import annotations

import logging
import os
import time
import uuid

import pytest
from django.core.cache import caches

from core.cache import FallbackRedisCache

DEAD_REDIS = "redis://127.0.0.1:6390/0"  # nothing listens on this port


def _cache(location: str, **options) -> FallbackRedisCache:
    return FallbackRedisCache(
        location,
        {
            "KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5, "CONNECTION_POOL_KWARGS": {"retry": None},
                        **options},
        },
    )


def test_a_dead_redis_serves_from_memory_quickly_with_one_warning(caplog):
    cache = _cache(DEAD_REDIS)
    started = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="core.cache"):
        for n in range(300):
            cache.set("k", n)
            assert cache.get("k") == n
        assert cache.add("lock", True) is True
        assert cache.add("lock", True) is False
        cache.set("hits", 0)
        assert [cache.incr("hits") for _ in range(3)] == [1, 2, 3]
        assert cache.get_or_set("computed", lambda: "value") == "value"
        assert cache.get_many(["k", "hits"]) == {"k": 299, "hits": 3}
        cache.delete("k")
        assert cache.get("k", "gone") == "gone"
        cache.clear()
        assert cache.get("hits") is None
    assert time.monotonic() - started < 2
    assert cache.redis_down
    warnings = [r for r in caplog.records if r.name == "core.cache"]
    assert len(warnings) == 1
    assert "serving from process memory" in warnings[0].getMessage()


def test_rate_limits_still_count_while_redis_is_down(rf, settings):
    """allauth's limiter keeps refusing after its limit on the fallback (fail safe, per process)."""
    from allauth.core import ratelimit

    settings.CACHES = {"default": {"BACKEND": "core.cache.FallbackRedisCache", "LOCATION": DEAD_REDIS,
                                   "KEY_PREFIX": f"t{uuid.uuid4().hex[:8]}",
                                   "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "CONNECTION_POOL_KWARGS": {"retry": None}}}}
    assert isinstance(caches["default"], FallbackRedisCache)
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "reset_password": "3/m/ip"}
    request = rf.post("/accounts/password/reset/", REMOTE_ADDR="192.0.2.7")
    allowed = [ratelimit.consume(request, action="reset_password") for _ in range(5)]
    assert allowed == [True, True, True, False, False]


@pytest.mark.redis
def test_writes_missed_during_an_outage_are_not_served_stale_when_redis_returns():
    cache = _cache(os.environ["REDIS_URL"], RETRY_AFTER=0.2)
    cache.set("structure", "old")
    other = cache.client.get_client(write=True)
    other.set("unrelated-broker-key", "kept")
    # Redis "goes away": point this process at a dead port, invalidate, then come back.
    real = cache.client
    cache._client = _cache(DEAD_REDIS).client
    cache.delete("structure")
    assert cache.redis_down
    assert cache.get("structure") is None
    cache._client = real
    time.sleep(0.25)
    # Back on Redis: the invalidation made during the outage holds (the old value is gone) ...
    assert cache.get("structure") is None
    assert not cache.redis_down
    # ... and only this site's keys were dropped, never the broker's.
    assert other.get("unrelated-broker-key") == b"kept"
    other.delete("unrelated-broker-key")

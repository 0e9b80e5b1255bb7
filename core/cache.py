"""The site's cache: Redis through django-redis, falling back to process memory while Redis is unreachable.

A cache outage must never become a 500: page views, answers, completions, sign-in and the verify
page keep working on a per-process memory cache. Rate limits keep counting per process there, so
they stay in force (per worker rather than site-wide) instead of failing open or failing every
request. Invalidations written during an outage never reached Redis, so a process that wrote to its
fallback clears the site's keys in Redis when Redis is back, and its own fallback too.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django_redis.cache import RedisCache
from django_redis.client.default import glob_escape
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

from .logs import log_at_most_every

logger = logging.getLogger(__name__)

# Any Redis failure, not only a refused connection: a wrong URL or a server answering garbage must not
# become a 500 either.
OUTAGE_ERRORS = (RedisError, ConnectionInterrupted, OSError)
_READS = ("get", "get_many", "has_key")
_WRITES = ("set", "add", "delete", "set_many", "delete_many", "incr", "decr", "touch", "incr_version", "decr_version")


class FallbackRedisCache(RedisCache):
    """django-redis cache that serves from a process-local cache for a while after Redis fails.

    OPTIONS["RETRY_AFTER"] (seconds, default 10) is how long a process stays on its fallback before
    trying Redis again, so a dead Redis costs one connection timeout per process per interval, not
    one per cache call.
    """

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        options = params.get("OPTIONS", {})
        self.retry_after = float(options.get("RETRY_AFTER", 10))
        self.fallback = LocMemCache(
            f"fallback-{id(self)}",
            {key: value for key, value in params.items() if key in {"TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION"}},
        )
        self._down_until: float | None = None
        self._missed_writes = False
        self._state_lock = threading.Lock()

    @property
    def redis_down(self) -> bool:
        """Return whether this process is serving from its fallback right now."""
        return self._down_until is not None and time.monotonic() < self._down_until

    def _call(self, name: str, write: bool, *args: Any, **kwargs: Any) -> Any:
        if self.redis_down:
            return self._on_fallback(name, write, *args, **kwargs)
        try:
            if self._down_until is not None:
                self._recover()
            return getattr(super(), name)(*args, **kwargs)
        except OUTAGE_ERRORS as exc:
            self._mark_down(exc)
            return self._on_fallback(name, write, *args, **kwargs)

    def _on_fallback(self, name: str, write: bool, *args: Any, **kwargs: Any) -> Any:
        if write:
            self._missed_writes = True
        return getattr(self.fallback, name)(*args, **kwargs)

    def _mark_down(self, exc: BaseException) -> None:
        with self._state_lock:
            self._down_until = time.monotonic() + self.retry_after
        log_at_most_every(
            logger, f"cache-down-{id(self)}", 60, logging.WARNING,
            "Redis cache unreachable (%s); serving from process memory, retrying every %ss.",
            type(exc).__name__, self.retry_after,
        )

    def _recover(self) -> None:
        # Redis answered again after an outage. Writes made meanwhile (invalidations included)
        # only reached this process's memory, so drop what Redis holds for the site, then the
        # fallback, before trusting Redis again.
        if self._missed_writes:
            self._clear_redis_keys()
            self.fallback.clear()
            self._missed_writes = False
        with self._state_lock:
            self._down_until = None
        logger.warning("Redis cache reachable again; back on Redis.")

    def _clear_redis_keys(self) -> None:
        # Only this site's keys: the broker may share the Redis database, so never FLUSHDB.
        client = self.client.get_client(write=True)
        pattern = f"{glob_escape(self.key_prefix)}:*" if self.key_prefix else "*"
        batch = []
        for key in client.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) >= 500:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)

    def clear(self) -> None:
        """Remove this site's keys (never the whole Redis database, which the broker may share)."""
        if self.redis_down:
            self.fallback.clear()
            self._missed_writes = True
            return
        try:
            if self._down_until is not None:
                self._recover()
            self._clear_redis_keys()
        except OUTAGE_ERRORS as exc:
            self._mark_down(exc)
            self.fallback.clear()
            self._missed_writes = True


def _delegate(name: str, write: bool):
    def method(self, *args, **kwargs):
        return self._call(name, write, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"Run {name} on Redis, or on the process-local fallback while Redis is unreachable."
    return method


for _name in _READS:
    setattr(FallbackRedisCache, _name, _delegate(_name, write=False))
for _name in _WRITES:
    setattr(FallbackRedisCache, _name, _delegate(_name, write=True))

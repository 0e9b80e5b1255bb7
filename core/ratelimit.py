"""The one rate-limit helper: every limit on the site, ours and allauth's, counts the same way.

It is built on allauth's engine (allauth.core.internal.ratelimit): rates are written as in
ACCOUNT_RATE_LIMITS ("5/5m/key,100/5m/ip"), cache keys are the ones allauth uses for the same
action, and the client address comes from the account adapter, which honours the single
trusted-proxy setting (ALLAUTH_TRUSTED_PROXY_COUNT, from DJANGO_TRUSTED_PROXY_COUNT). So a limit we
check here and the same limit checked inside allauth share one counter and one client-IP rule.

What this module adds is failure handling: allauth's engine lets cache errors through, which would
turn a Redis outage into 500s. Here a cache error is logged and the hit is counted again in a
process-local cache instead, so limits keep holding (per process rather than site-wide) and the
request is never failed because the cache is down.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from allauth.core.internal import ratelimit as engine
from django.core.cache import cache as shared_cache
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest

logger = logging.getLogger(__name__)

# allauth reads ACCOUNT_RATE_LIMITS through this app's settings; using the same app keeps our
# cache keys identical to allauth's for an action both of us limit.
APP = "allauth.account"
# How long to wait for another request's lock on the same counter before counting the hit as
# refused (allauth's engine does the same: a counter nobody can lock is treated as exhausted).
LOCK_WAIT_SECONDS = 1.0
LOCK_TIMEOUT_SECONDS = 10

# Used only while the shared cache fails; one per process.
_local_cache = LocMemCache("core-ratelimit-fallback", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


@dataclass(frozen=True)
class Decision:
    """Whether a request may go ahead and, if not, how many seconds until it may."""

    allowed: bool
    retry_after: int = 0


def hit(
    request: HttpRequest, *, action: str, rates: str | None = None, key: str | None = None, user=None
) -> Decision:
    """Count one request against the action's rates (ACCOUNT_RATE_LIMITS unless given) and decide it.

    Rates are checked in the order written and counting stops at the first one exhausted, so
    "5/5m/key,100/5m/ip" stops counting against the address once the key is locked.
    """
    parsed = engine.parse_rates(rates) if rates is not None else engine.get_rates(app=APP, action=action)
    for rate in parsed:
        cache_key = engine.get_cache_key(request, app=APP, action=action, rate=rate, key=key, user=user)
        try:
            retry_after = _hit_one(shared_cache, cache_key, rate)
        except Exception:
            # The shared cache is down (e.g. Redis unreachable): count in this process instead
            # of failing the request or letting every request through.
            logger.warning("Rate-limit cache unavailable; counting %s in this process only", action, exc_info=True)
            retry_after = _hit_one(_local_cache, cache_key, rate)
        if retry_after is not None:
            return Decision(allowed=False, retry_after=retry_after)
    return Decision(allowed=True)


def allowed(request: HttpRequest, *, action: str, rates: str | None = None, key: str | None = None, user=None) -> bool:
    """Count one request and return True if it is within the action's rates."""
    return hit(request, action=action, rates=rates, key=key, user=user).allowed


def clear(request: HttpRequest, *, action: str, rates: str | None = None, key: str | None = None, user=None) -> None:
    """Forget every hit counted for the action and this client, key or user."""
    parsed = engine.parse_rates(rates) if rates is not None else engine.get_rates(app=APP, action=action)
    for rate in parsed:
        cache_key = engine.get_cache_key(request, app=APP, action=action, rate=rate, key=key, user=user)
        for cache in (shared_cache, _local_cache):
            try:
                cache.delete(cache_key)
            except Exception:
                logger.warning("Rate-limit cache unavailable; could not clear %s", action, exc_info=True)


def _hit_one(cache: BaseCache, cache_key: str, rate: engine.Rate) -> int | None:
    """Record a hit on one counter; return None if allowed, else the seconds until it frees up."""
    lock_key = f"{cache_key}:lock"
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not cache.add(lock_key, True, timeout=LOCK_TIMEOUT_SECONDS):
        if time.monotonic() >= deadline:
            return max(int(rate.duration), 1)
        time.sleep(0.01)
    try:
        now = time.time()
        history = cache.get(cache_key, [])
        is_allowed, history = engine.apply_rate(history, now, rate)
        if is_allowed:
            cache.set(cache_key, history, rate.duration)
            return None
        if not history:
            return max(int(rate.duration), 1)
        # History is newest first; the oldest counted hit is the next to fall out of the window.
        return max(int(history[-1] + rate.duration - now + 0.999), 1)
    finally:
        cache.delete(lock_key)

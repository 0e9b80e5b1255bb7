"""A fixed-window request counter per client IP, kept in the shared Django cache."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return the address the request came from (the proxy's job is to set REMOTE_ADDR correctly)."""
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def allow(request: HttpRequest, *, scope: str, limit: int, window_seconds: int) -> tuple[bool, int]:
    """Count this request; return (allowed, seconds until the window resets)."""
    now = time.time()
    window = int(now // window_seconds)
    key = f"certificates:rl:{scope}:{client_ip(request)}:{window}"
    # add() is atomic and leaves an existing counter alone; incr() is atomic on Redis and locmem.
    cache.add(key, 0, timeout=window_seconds + 1)
    try:
        count = cache.incr(key)
    except ValueError:
        # The key expired between add() and incr(): this request starts the new window.
        cache.add(key, 1, timeout=window_seconds + 1)
        count = 1
    retry_after = max(int((window + 1) * window_seconds - now), 1)
    return count <= limit, retry_after

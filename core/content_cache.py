"""Published content's cache entries, kept in process memory between requests while nothing changes.

Section pages read a dozen cache entries that change only when content is published, moved,
unpublished or deleted (the path-to-page route, the module's structure and version, the rendered
section body, the module list's address, the site roots). Fetching each from Redis on every view
costs a dozen round trips. Here each process keeps what it read, under the site-wide *content
generation*: one cache entry, read once per request, that every invalidation replaces with a new
random value (`content_changed`, after the transaction commits). A request that sees a new
generation drops everything the process kept, so a change reaches every process by its next
request, exactly as it would through the shared cache alone.

Nothing here is ever more stale than the shared cache underneath: entries also expire after at
most `MEMO_SECONDS`, and outside a request (Celery tasks, commands, shells), and while a process is
serving from its fallback cache during a Redis outage, reads go straight to the shared cache.
Values are shared between the requests of a process: callers treat them as read-only.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.core.cache import cache, caches
from django.core.signals import request_finished, request_started
from django.db import transaction

GENERATION_KEY = "core:content-generation"
MEMO_SECONDS = 60
MEMO_MAX_ENTRIES = 5000
_MISSING = object()

# The generation this request saw (None outside a request, _MISSING until first read).
_request_generation: ContextVar[Any] = ContextVar("content_generation", default=None)


class _Memo:
    def __init__(self) -> None:
        self.generation: str | None = None
        self.entries: dict[str, tuple[Any, float]] = {}
        self.lock = threading.Lock()

    def reset(self, generation: str | None) -> None:
        with self.lock:
            self.generation = generation
            self.entries = {}


_memo = _Memo()


def _on_request_started(**kwargs) -> None:
    _request_generation.set(_MISSING)


def _on_request_finished(**kwargs) -> None:
    _request_generation.set(None)


request_started.connect(_on_request_started, dispatch_uid="core.content_cache.request_started")
request_finished.connect(_on_request_finished, dispatch_uid="core.content_cache.request_finished")


def _shared_cache_is_fallback() -> bool:
    return bool(getattr(caches["default"], "redis_down", False))


def _current_generation() -> str | None:
    """Return this request's content generation, reading it once per request; None if not memoising."""
    seen = _request_generation.get()
    if seen is None:
        return None
    if seen is _MISSING:
        if _shared_cache_is_fallback():
            return None
        seen = cache.get(GENERATION_KEY)
        if seen is None:
            seen = uuid.uuid4().hex
            # add, not set: two processes starting at once agree on one value.
            if not cache.add(GENERATION_KEY, seen, None):
                seen = cache.get(GENERATION_KEY) or seen
        _request_generation.set(seen)
    if _memo.generation != seen:
        _memo.reset(seen)
    return seen


def get(key: str, default: Any = None) -> Any:
    """Return the cache entry, from this process's memory while the content generation holds."""
    generation = _current_generation()
    if generation is not None:
        entry = _memo.entries.get(key)
        if entry is not None and entry[1] > time.monotonic():
            return entry[0]
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        return default
    if generation is not None:
        _keep(key, value, MEMO_SECONDS)
    return value


def set(key: str, value: Any, timeout: float | None) -> None:  # noqa: A001 - mirrors the cache API
    """Store the entry in the shared cache and in this process's memory (for a fill after a miss)."""
    cache.set(key, value, timeout)
    if _current_generation() is not None:
        _keep(key, value, MEMO_SECONDS if timeout is None else min(timeout, MEMO_SECONDS))


def local(key: Any, compute: Callable[[], Any]) -> Any:
    """Return a value kept in this process's memory only (never shared), computing it on a miss.

    For values that only make sense in this process (a rendering with this process's
    placeholders). Kept while the content generation holds; computed afresh on every call
    outside a request or during a Redis outage.
    """
    if _current_generation() is None:
        return compute()
    entry = _memo.entries.get(key)
    if entry is not None and entry[1] > time.monotonic():
        return entry[0]
    value = compute()
    _keep(key, value, MEMO_SECONDS)
    return value


def local_get(key: Any) -> Any:
    """Return a value this process kept with local_set under the current generation, or None."""
    if _current_generation() is None:
        return None
    entry = _memo.entries.get(key)
    if entry is not None and entry[1] > time.monotonic():
        return entry[0]
    return None


def local_set(key: Any, value: Any) -> None:
    """Keep a value in this process's memory only, under the current generation (nothing while not memoising)."""
    if _current_generation() is not None:
        _keep(key, value, MEMO_SECONDS)


def delete(key: str) -> None:
    """Drop one entry from the shared cache and this process's memory (others keep theirs until it expires)."""
    cache.delete(key)
    with _memo.lock:
        _memo.entries.pop(key, None)


def _keep(key: str, value: Any, seconds: float) -> None:
    with _memo.lock:
        if len(_memo.entries) >= MEMO_MAX_ENTRIES:
            _memo.entries.clear()
        _memo.entries[key] = (value, time.monotonic() + seconds)


def _bump() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, None)
    _memo.reset(None)
    if _request_generation.get() is not None:
        _request_generation.set(_MISSING)


def content_changed() -> None:
    """Make every process drop the content it kept, once the current transaction commits.

    Call it wherever a content cache entry is invalidated (publish, unpublish, move, delete, a
    Site or view-restriction change). It also runs at once in this process, so the request that
    made the change does not read its own stale memory.
    """
    _memo.reset(None)
    if _request_generation.get() is not None:
        _request_generation.set(_MISSING)
    transaction.on_commit(_bump)

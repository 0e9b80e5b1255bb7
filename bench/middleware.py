"""Bench-only switch: requests with X-Bench-Untracked: 1 render the section page without recording.

The gate in learning.wagtail_hooks calls `services.record_access` through the module, so
replacing that one attribute (once per process) with a wrapper that consults a context variable
skips only the write; eligibility, the learner's progress and the rendering are unchanged.
"""

from __future__ import annotations

import contextvars

UNTRACKED = contextvars.ContextVar("bench_untracked", default=False)
HEADER = "HTTP_X_BENCH_UNTRACKED"


def _install() -> None:
    from learning import services

    if getattr(services.record_access, "bench_switch", False):
        return
    original = services.record_access

    def record_access(**kwargs):
        if UNTRACKED.get():
            return None
        return original(**kwargs)

    record_access.bench_switch = True
    services.record_access = record_access


class UntrackedSwitchMiddleware:
    """Mark a request as untracked when it carries the bench header."""

    def __init__(self, get_response):
        self.get_response = get_response
        _install()

    def __call__(self, request):
        token = UNTRACKED.set(request.META.get(HEADER) == "1")
        try:
            return self.get_response(request)
        finally:
            UNTRACKED.reset(token)

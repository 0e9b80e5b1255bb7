"""Celery beat inside the development server: the same schedule production's beat runs, in a thread.

With the embedded default (no broker, `CELERY_TASK_ALWAYS_EAGER`), sending a task runs it at once in
the sending thread, so Celery's own beat service, started as a thread of the server process, runs
every entry of `CELERY_BEAT_SCHEDULE` (scheduled publishing, the outbox sweep) on the same timetable
as production. It stops with the server; the autoreloader's restart starts a fresh one.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from celery.beat import EmbeddedService, Scheduler
from celery.schedules import schedule as interval_schedule
from django.db import close_old_connections

from config.celery import app as celery_app

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_service = None


class EmbeddedScheduler(Scheduler):
    """Celery's in-memory scheduler, with every interval entry due at once when the server starts.

    Nothing is stored between runs (production's beat keeps a schedule file and a lock, neither of
    which one development process needs), so whatever fell due while the server was stopped, such
    as a page scheduled for an hour ago, runs on the first tick instead of a minute later.
    """

    def setup_schedule(self) -> None:
        super().setup_schedule()
        for entry in self.schedule.values():
            if isinstance(entry.schedule, interval_schedule):
                entry.last_run_at = entry.default_now() - entry.schedule.run_every - timedelta(seconds=1)

    def apply_entry(self, entry, producer=None):
        # The task runs in this thread with its own database connection: drop it if it went stale.
        close_old_connections()
        try:
            return super().apply_entry(entry, producer=producer)
        finally:
            close_old_connections()


def start_embedded_beat():
    """Start Celery beat's schedule in a thread of this process (once), and return the running service."""
    global _service
    with _lock:
        if _service is None or not _service.is_alive():
            # As `celery beat` does at start: import every app's tasks.py, so each schedule entry
            # names a registered task (an unknown one would be sent to a broker that is not there).
            celery_app.loader.import_default_modules()
            _service = EmbeddedService(celery_app, thread=True, scheduler_cls=EmbeddedScheduler)
            _service.start()
        return _service


def stop_embedded_beat() -> None:
    """Stop the embedded beat, if this process runs one, and wait for its thread."""
    global _service
    with _lock:
        service, _service = _service, None
    if service is not None:
        service.stop()
        service.join(timeout=10)

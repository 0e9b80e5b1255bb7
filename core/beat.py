"""Celery beat that runs once: a second beat process waits on a PostgreSQL advisory lock until the first stops."""

from __future__ import annotations

import logging
import time

import psycopg
from celery.beat import PersistentScheduler
from django.db import connections

logger = logging.getLogger(__name__)

# pg_advisory_lock takes a bigint; this one is ours alone ("beat" in the project's namespace).
BEAT_LOCK_KEY = 0x706C_6265_6174  # "plbeat"
POLL_SECONDS = 2.0


def acquire_beat_lock(*, wait: bool = True, poll_seconds: float = POLL_SECONDS) -> psycopg.Connection | None:
    """Return a connection holding the beat lock (kept open while beat runs), or None if not PostgreSQL.

    With wait=False, return None at once when another process holds the lock.
    """
    connection = connections["default"]
    if connection.vendor != "postgresql":
        # The embedded SQLite default runs one process of everything; there is nothing to guard.
        return None
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    # Its own connection, in autocommit, so Django closing or recycling its connections never drops the lock;
    # the lock goes when the process does, and a waiting beat takes over.
    holder = psycopg.connect(**params, autocommit=True)
    waited = False
    while True:
        if holder.execute("SELECT pg_try_advisory_lock(%s)", [BEAT_LOCK_KEY]).fetchone()[0]:
            if waited:
                logger.warning("Celery beat: took over the beat lock; scheduling from now on.")
            return holder
        if not wait:
            holder.close()
            return None
        if not waited:
            logger.warning("Celery beat: another beat holds the beat lock; waiting to take over.")
            waited = True
        time.sleep(poll_seconds)


class SingleBeatScheduler(PersistentScheduler):
    """Celery's file-backed scheduler, opened only once this process holds the beat lock."""

    _lock_holder: psycopg.Connection | None = None

    def setup_schedule(self) -> None:
        """Take the beat lock (waiting for it), then open the schedule as Celery does."""
        self._lock_holder = acquire_beat_lock()
        super().setup_schedule()

    def close(self) -> None:
        """Close the schedule, then release the lock for a waiting beat."""
        super().close()
        if self._lock_holder is not None:
            self._lock_holder.close()
            self._lock_holder = None

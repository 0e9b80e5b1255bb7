"""Celery beat runs once: a second beat waits on the PostgreSQL advisory lock and takes over when the first stops."""

from __future__ import annotations

import threading
import time

import pytest
from django.conf import settings

from config.celery import app
from core.beat import SingleBeatScheduler, acquire_beat_lock

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def test_only_one_process_holds_the_beat_lock_and_it_is_freed_when_the_holder_goes():
    first = acquire_beat_lock(wait=False)
    assert first is not None
    try:
        assert acquire_beat_lock(wait=False) is None
    finally:
        first.close()
    again = acquire_beat_lock(wait=False)
    assert again is not None
    again.close()


def test_a_waiting_beat_takes_over_when_the_running_one_stops():
    first = acquire_beat_lock(wait=False)
    taken = []
    waiter = threading.Thread(target=lambda: taken.append(acquire_beat_lock(poll_seconds=0.05)), daemon=True)
    waiter.start()
    time.sleep(0.5)
    assert taken == []  # still waiting while the first holds the lock
    first.close()
    waiter.join(timeout=5)
    assert len(taken) == 1
    assert taken[0] is not None
    taken[0].close()


def test_the_second_beats_scheduler_opens_only_after_the_first_closes(tmp_path):
    first = SingleBeatScheduler(app=app, schedule_filename=str(tmp_path / "one"), lazy=False)
    opened = []
    second = threading.Thread(
        target=lambda: opened.append(SingleBeatScheduler(app=app, schedule_filename=str(tmp_path / "two"))), daemon=True,
    )
    second.start()
    second.join(timeout=3)  # blocks on the lock
    assert opened == []
    first.close()
    second.join(timeout=10)
    assert len(opened) == 1
    opened[0].close()


def test_beat_uses_the_single_beat_scheduler():
    assert settings.CELERY_BEAT_SCHEDULER == "core.beat.SingleBeatScheduler"
    assert app.conf.beat_scheduler == "core.beat.SingleBeatScheduler"

"""Many workers receiving the same outbox job at the same moment run it once (PostgreSQL row locking)."""

from __future__ import annotations

import pytest

from outbox import services
from outbox.models import Job, JobStatus
from tests.concurrency import run_concurrently
from tests.outbox import tasks as test_tasks

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_simultaneous_deliveries_run_the_job_once():
    test_tasks.CALLS.clear()
    job = Job.objects.create(task="tests.outbox.tasks.record_call", args=["once"])
    results: list[bool] = []
    errors = run_concurrently([lambda: results.append(services.run_job(job_id=job.pk)) for _ in range(20)])
    assert errors == []
    assert sorted(results) == [False] * 19 + [True]
    assert test_tasks.CALLS == ["once"]
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.DONE, 1)

"""Celery tasks that exist only for the outbox tests: one records its calls, one always fails."""

from __future__ import annotations

from celery import shared_task

CALLS: list[str] = []


@shared_task(name="tests.outbox.tasks.record_call")
def record_call(label: str) -> None:
    """Remember that the job ran, with its argument."""
    CALLS.append(label)


@shared_task(name="tests.outbox.tasks.always_fails")
def always_fails() -> None:
    """Fail as a mail server that refuses connections would."""
    raise ConnectionRefusedError("mail server refused the connection")

"""Concurrent page views by one learner (two tabs, a double click) on PostgreSQL.

SQLite serialises writers, so these races only mean something on PostgreSQL; the tests skip
there with a reason.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from learning import services
from learning.models import EventType, LearningEvent, ModuleCompletion, ModuleProgress, SectionProgress
from tests.concurrency import run_concurrently as _run_concurrently

from .factories import build_module, learner, sections_of

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_simultaneous_views_of_every_section_complete_once_with_one_progress_row():
    module = build_module(sections=[(1, 0)] * 8, threshold=80)
    member = learner()
    sections = sections_of(module)
    # Every section twice, all at once: 16 requests racing for the same progress row.
    calls = [
        (lambda s=s, i=i: services.record_access(membership=member, module=module, section=s, at=T0 + timedelta(seconds=i)))
        for i, s in enumerate(sections * 2)
    ]
    assert _run_concurrently(calls) == []
    assert ModuleProgress.objects.filter(user=member.user, module=module).count() == 1
    assert SectionProgress.objects.filter(user=member.user).count() == 8
    assert ModuleCompletion.objects.filter(user=member.user, module=module).count() == 1
    assert LearningEvent.objects.filter(event_type=EventType.COMPLETION).count() == 1
    assert LearningEvent.objects.filter(event_type=EventType.SECTION_VIEW).count() == 16
    # All within 16 seconds: one visit, whatever order the requests committed in.
    assert set(LearningEvent.objects.values_list("visit_number", flat=True)) == {1}
    assert ModuleProgress.objects.get().engagement_percent == 100

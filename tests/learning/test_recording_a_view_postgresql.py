"""On PostgreSQL a repeat view is one statement in autocommit; it must record what the ORM path records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learning import services
from learning.models import LearningEvent, ModuleCompletion, ModuleProgress, SectionProgress

from .factories import build_module, learner, practice, sections_of

# transaction=True: the one-statement path runs in autocommit, as it does under a request.
pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _views(module, member, monkeypatch) -> list[tuple[int, int, bool]]:
    """Record a fixed sequence of views; return (visit number, visit count, one statement) for each."""
    first, second, third, fourth = sections_of(module)
    steps = [
        (first, 0), (first, 5), (None, 10), (second, 12),
        # A new visit after 30 minutes, on a section already viewed.
        (first, 45),
    ]
    seen = []

    def view(section, minutes):
        with CaptureQueriesContext(connection) as queries:
            result = services.record_access(membership=member, module=module, section=section, at=T0 + timedelta(minutes=minutes))
        one_statement = any(query["sql"].startswith("WITH upd AS") for query in queries.captured_queries)
        seen.append((result.event.visit_number, result.progress.visit_count, one_statement))

    for section, minutes in steps:
        view(section, minutes)
    # Stale row: another tab views between this view's state read and its write, so the
    # compare-and-set matches nothing and the view is recorded under the row lock.
    real_read = services.learner_section_state

    def read_then_other_tab_views(*args, **kwargs):
        state = real_read(*args, **kwargs)
        monkeypatch.setattr(services, "learner_section_state", real_read)
        services.record_access(membership=member, module=module, section=second, at=T0 + timedelta(minutes=50))
        return state

    monkeypatch.setattr(services, "learner_section_state", read_then_other_tab_views)
    view(first, 51)
    monkeypatch.setattr(services, "learner_section_state", real_read)
    for section, minutes in ((third, 90), (fourth, 91), (first, 92)):
        view(section, minutes)
    return seen


def _rows(module, member) -> dict[str, list[tuple]]:
    user = member.user
    return {
        "events": list(
            LearningEvent.objects.filter(user=user, module=module).order_by("occurred_at", "id").values_list(
                "role", "section_id", "module_version", "event_type", "occurred_at", "visit_number", "detail"
            )
        ),
        "progress": list(
            ModuleProgress.objects.filter(user=user, module=module).values_list(
                "cycle", "started_at", "last_viewed_at", "visit_count", "engagement_percent", "last_section_id"
            )
        ),
        "sections": sorted(
            SectionProgress.objects.filter(user=user, module=module).values_list(
                "section_id", "cycle", "status", "first_viewed_at", "completed_at", "module_version"
            )
        ),
        "completions": list(
            ModuleCompletion.objects.filter(user=user, module=module).values_list(
                "cycle", "completed_at", "engagement_percent", "module_version", "role"
            )
        ),
    }


def test_one_statement_views_record_the_same_rows_as_the_orm_path(monkeypatch):
    module = build_module(sections=[(1, 0)] * 4, threshold=100)
    site = practice()
    one_statement, orm = learner(practice_=site), learner(practice_=site)

    seen_one = _views(module, one_statement, monkeypatch)
    monkeypatch.setattr(services, "_record_access", services._record_access_in_transaction)
    seen_orm = _views(module, orm, monkeypatch)

    assert _rows(module, one_statement) == _rows(module, orm)
    rows = _rows(module, one_statement)
    assert [row[5] for row in rows["events"]] == [1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 3]
    assert rows["progress"][0][3:] == (3, rows["progress"][0][4], sections_of(module)[0].pk)
    assert len(rows["completions"]) == 1
    assert [(number, count) for number, count, _ in seen_one] == [(number, count) for number, count, _ in seen_orm]
    # Repeat views of viewed sections and the module page went through the one statement (the
    # stale one tried it, then fell back); first views of a section and the ORM path never did.
    assert [flag for _, _, flag in seen_one] == [False, True, True, False, True, True, False, False, True]
    assert not any(flag for _, _, flag in seen_orm)

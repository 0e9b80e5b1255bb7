"""A signed-in learner's section page runs a fixed number of SQL queries.

The same for a learner's 2nd and 10,000th view and for a module of 5 or 50 sections. The very
first view of a section also creates the learner's progress rows, so it is held to the same
ceiling but not to the same count.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learning import services
from learning.models import LearningEvent

from .factories import build_module, learner, sections_of

pytestmark = pytest.mark.django_db

# Measured on SQLite and PostgreSQL: 27 for a repeat view, 35 for the first (cold caches, new rows).
REPEAT_CEILING = 27
FIRST_CEILING = 35
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def section_with_a_check(size: int):
    # The viewed section (the 2nd) has a knowledge check, so the learner's answers are read too.
    module = build_module(sections=[(1, 0), (1, 1)] + [(1, 0)] * (size - 2))
    return module, sections_of(module)[1]


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert "Section 2 of" in response.content.decode()
    return len(queries)


def test_the_section_page_query_count_does_not_grow_with_views_or_sections(client):
    counts = {}
    for size in (5, 50):
        module, section = section_with_a_check(size)
        member = learner()
        client.force_login(member.user)
        counts[f"first-{size}"] = count_queries(client, section.url)
        counts[f"second-{size}"] = count_queries(client, section.url)
        if size == 5:
            # 9,997 more views through the real service, then the 10,000th view through the page.
            sections = sections_of(module)
            for i in range(9_997):
                services.record_access(
                    membership=member, module=module, section=sections[i % len(sections)], at=T0 + timedelta(minutes=i)
                )
            assert LearningEvent.objects.filter(user=member.user).views().count() == 9_999
            counts["10000th-5"] = count_queries(client, section.url)
    assert counts["second-5"] == counts["second-50"] == counts["10000th-5"], counts
    assert counts["first-5"] == counts["first-50"], counts
    assert counts["second-5"] <= REPEAT_CEILING, counts
    assert counts["first-5"] <= FIRST_CEILING, counts

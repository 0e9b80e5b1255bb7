"""Schemathesis against the research API's live schema: generated requests over the WSGI app, 0 failures.

The schema is read from /api/v1/schema/ with a researcher's token, as a client would, and every
operation is called with data generated from it (valid and invalid), each response checked with
Schemathesis's default checks: no server error, documented status codes, content types and
headers, responses matching their schemas, invalid input refused, unauthenticated calls refused.
A few examples per operation keep the run short.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode

from accounts.roles import RESEARCHER
from research.api.pagination import encode_cursor
from research.api.tokens import create_api_token
from research.services import create_cut, write_cut
from tests.accounts.factories import staff_user

from .trial import build_trial

MAX_EXAMPLES = 8


@pytest.fixture
def research_api(db, settings):  # noqa: F811 (pytest-django's settings fixture: Hypothesis's is only used as a decorator)
    """A trial with a ready cut, a researcher's token, and the schema loaded through the WSGI app."""
    settings.RESEARCH_API_THROTTLE_RATE = "100000/hour"
    settings.ALLOWED_HOSTS = ["*"]
    build_trial()
    cut = create_cut(name="schema-cut", enqueue=False)
    write_cut(cut_id=cut.pk)
    secret = create_api_token(user=staff_user(RESEARCHER), name="schemathesis", days=7).secret
    # As Django's test client does: the test's transaction must survive each request's end.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        headers = {"Authorization": f"Bearer {secret}"}
        schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application(), headers=headers)
        yield schema, headers
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _period_in_order(case) -> bool:
    # "end after start" is a rule between two parameters, which OpenAPI cannot state: a request that
    # breaks it is refused with 400 naming `end` (tests/research/test_api.py), so it is not positive data.
    query = case.query or {}
    start, end = query.get("start"), query.get("end")
    return not (isinstance(start, str) and isinstance(end, str) and start >= end)


def _with_a_cursor_the_api_gave(case):
    # Likewise a cursor is only valid if the API wrote it; any string fits the schema's type.
    if case.query and "cursor" in case.query:
        case.query["cursor"] = encode_cursor(datetime(2026, 2, 1, tzinfo=UTC), 1)
    return case


def _operations(schema) -> list:
    return [result.ok() for result in schema.get_all_operations()]


# Schemathesis's own pytest plugin (schemathesis.pytest.from_fixture) sets a node attribute pytest 9
# no longer has, so each operation's strategy is driven by Hypothesis here instead, with the same checks.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_matches_its_schema(research_api, mode):
    schema, headers = research_api
    for operation in _operations(schema):

        strategy = operation.as_strategy(generation_mode=mode)
        if mode == GenerationMode.POSITIVE:
            strategy = strategy.filter(_period_in_order).map(_with_a_cursor_the_api_gave)

        @given(case=strategy)
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
        def call(case):
            case.call_and_validate(headers=headers)

        call()


def test_the_schema_covers_every_operation(research_api):
    operations = sorted(f"{op.method.upper()} {op.path}" for op in _operations(research_api[0]))
    assert operations == [
        "GET /api/v1/cuts/", "GET /api/v1/cuts/{name}/download/", "GET /api/v1/events/", "GET /api/v1/practices/",
        "GET /api/v1/uptake/arms/", "GET /api/v1/uptake/practices/",
    ]

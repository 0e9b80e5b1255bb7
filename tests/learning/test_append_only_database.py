"""On PostgreSQL the database itself refuses changes to append-only learning rows."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from learning import services

from .factories import build_module, learner

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


@pytest.mark.parametrize("statement", ["UPDATE {table} SET module_version = 99", "DELETE FROM {table}"])
def test_raw_sql_cannot_change_learning_events(statement):
    module = build_module()
    member = learner()
    services.record_access(membership=member, module=module, at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(table="learning_learningevent"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*), max(module_version) FROM learning_learningevent")
        assert cursor.fetchone() == (1, 1)


def test_a_purge_that_says_so_may_delete():
    module = build_module()
    member = learner()
    services.record_access(membership=member, module=module, at=datetime(2026, 3, 2, 9, tzinfo=UTC))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL learning.allow_purge = 'on'")
        cursor.execute("DELETE FROM learning_learningevent")
        assert cursor.rowcount == 1

"""A hot query compiled once per process answers each call as the ORM would."""

from __future__ import annotations

from datetime import date

import pytest

from core.compiled import CompiledQuery
from learning.access import current_membership_of
from practices.models import Membership
from practices.services import end_membership, start_membership
from tests.learning.factories import learner, practice

pytestmark = pytest.mark.django_db


def memberships(user_id):
    return Membership.objects.filter(user_id=user_id).select_related("practice").order_by("pk")


def test_instances_with_their_related_rows_match_the_orm_for_each_caller():
    query = CompiledQuery(memberships, stand_ins={"user_id": -5_551_001}, model=Membership, instances=True)
    members = [learner(), learner(), learner()]
    for member in members + members[::-1]:
        compiled = query.run(user_id=member.user_id)
        orm = list(memberships(member.user_id))
        assert [(m.pk, m.role, m.started_on, m.practice.pk, m.practice.name) for m in compiled] == [
            (m.pk, m.role, m.started_on, m.practice.pk, m.practice.name) for m in orm
        ]
        assert compiled[0]._state.db == "default"
        assert not compiled[0]._state.adding
    assert query._compiled["default"] is not None


def test_a_stand_in_written_into_the_sql_falls_back_to_the_orm():
    def written_in(user_id):
        # The id is part of the SQL text here, so the compiled SQL could not be reused for another.
        table = Membership._meta.db_table
        return Membership.objects.extra(where=[f"{table}.user_id = {int(user_id)}"]).order_by("pk")  # noqa: S610

    query = CompiledQuery(written_in, stand_ins={"user_id": -5_551_002}, model=Membership, instances=True)
    first, second = learner(), learner()
    assert [m.pk for m in query.run(user_id=first.user_id)] == [first.pk]
    assert [m.pk for m in query.run(user_id=second.user_id)] == [second.pk]
    assert query._compiled["default"] is None


def test_the_current_membership_is_the_one_active_on_the_day():
    member = learner(started_on=date(2025, 1, 1))
    end_membership(membership=member, on=date(2026, 1, 31))
    later = start_membership(user=member.user, practice=practice(), role="practice_nurse", on=date(2026, 2, 1))
    assert current_membership_of(member.user, on=date(2025, 6, 1)).pk == member.pk
    assert current_membership_of(member.user, on=date(2026, 2, 1)).pk == later.pk
    assert current_membership_of(member.user, on=date(2024, 12, 31)) is None
    for day in (date(2025, 6, 1), date(2026, 1, 30), date(2026, 1, 31), date(2026, 2, 1), date(2026, 3, 1)):
        expected = Membership.objects.active(day).filter(user=member.user).first()
        found = current_membership_of(member.user, on=day)
        assert (found.pk if found else None) == (expected.pk if expected else None)

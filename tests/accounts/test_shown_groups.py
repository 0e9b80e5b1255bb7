"""The links a page shows follow a user's groups at once, though the names are cached."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.roles import EDITOR, PRACTICE_LEAD, shown_in_groups

pytestmark = pytest.mark.django_db


def fresh(user):
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def user():
    return get_user_model().objects.create_user(email="sam@example.org", password="a-Long-passw0rd")


def test_names_are_read_once_then_cached(user):
    assert not shown_in_groups(fresh(user), EDITOR)
    with CaptureQueriesContext(connection) as queries:
        assert not shown_in_groups(fresh(user), EDITOR)
    assert [q for q in queries.captured_queries if "auth_group" in q["sql"]] == []


@pytest.mark.parametrize("side", ["user", "group"])
def test_adding_removing_and_clearing_show_at_once(user, side):
    editors = Group.objects.get_or_create(name=EDITOR)[0]
    assert not shown_in_groups(fresh(user), EDITOR)
    (user.groups.add(editors) if side == "user" else editors.user_set.add(user))
    assert shown_in_groups(fresh(user), EDITOR)
    (user.groups.remove(editors) if side == "user" else editors.user_set.remove(user))
    assert not shown_in_groups(fresh(user), EDITOR)
    user.groups.add(editors)
    assert shown_in_groups(fresh(user), EDITOR)
    (user.groups.clear() if side == "user" else editors.user_set.clear())
    assert not shown_in_groups(fresh(user), EDITOR)


def test_inactive_users_are_in_no_group(user):
    user.groups.add(Group.objects.get_or_create(name=PRACTICE_LEAD)[0])
    user.is_active = False
    assert not shown_in_groups(user, PRACTICE_LEAD)

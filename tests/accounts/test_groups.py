from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.models import Collection, GroupApprovalTask, Page

from accounts.permissions import apply_group_policy
from accounts.roles import ADMIN, ALL_GROUPS, EDITOR, LEARNER, MODERATOR, PRACTICE_LEAD, RESEARCHER
from tests.accounts.factories import staff_user

pytestmark = pytest.mark.django_db


def page_perms(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    root = Page.objects.get(depth=1)
    return set(group.page_permissions.filter(page=root).values_list("permission__codename", flat=True))


def test_the_migration_creates_exactly_the_platform_groups():
    assert set(Group.objects.values_list("name", flat=True)) == set(ALL_GROUPS)


def test_editors_edit_but_only_moderators_publish():
    assert {"add_page", "change_page"} <= page_perms(EDITOR)
    assert "publish_page" not in page_perms(EDITOR)
    assert {"add_page", "change_page", "publish_page"} <= page_perms(MODERATOR)
    editor, moderator = staff_user(EDITOR), staff_user(MODERATOR)
    home = Page.objects.get(depth=2)
    assert home.permissions_for_user(editor).can_edit()
    assert not home.permissions_for_user(editor).can_publish()
    assert home.permissions_for_user(moderator).can_publish()
    assert editor.has_perm("wagtailadmin.access_admin")


def test_editors_and_moderators_manage_documents_and_images():
    root = Collection.get_first_root_node()
    for name in (EDITOR, MODERATOR):
        codenames = set(
            Group.objects.get(name=name).collection_permissions.filter(collection=root)
            .values_list("permission__codename", flat=True)
        )
        assert {"add_document", "change_document", "add_image", "change_image"} <= codenames


def test_the_default_moderation_task_is_assigned_to_our_moderators():
    task = GroupApprovalTask.objects.filter(name="Moderators approval").first()
    assert task is not None
    assert list(task.groups.values_list("name", flat=True)) == [MODERATOR]


def test_researchers_keep_the_registry_but_cannot_edit_pages():
    researcher = staff_user(RESEARCHER)
    assert researcher.has_perms(["wagtailadmin.access_admin", "practices.view_practice", "practices.change_practice"])
    assert researcher.has_perm("practices.view_membership")
    assert not researcher.has_perm("practices.change_membership")
    assert page_perms(RESEARCHER) == set()


def test_admins_have_every_permission_and_learners_none():
    assert Group.objects.get(name=ADMIN).permissions.count() == Permission.objects.count()
    assert "publish_page" in page_perms(ADMIN)
    for name in (LEARNER, PRACTICE_LEAD):
        assert not Group.objects.get(name=name).permissions.exists()


def test_reapplying_the_policy_is_harmless_and_keeps_manual_grants():
    editor = Group.objects.get(name=EDITOR)
    extra = Permission.objects.get(codename="view_practice")
    editor.permissions.add(extra)
    before = set(editor.permissions.values_list("pk", flat=True))
    apply_group_policy()
    apply_group_policy()
    assert set(editor.permissions.values_list("pk", flat=True)) == before
    assert Group.objects.count() == len(ALL_GROUPS)

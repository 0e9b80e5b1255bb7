"""The site's administrators: the one group name and the admin-only policy infrastructure needs.

Infrastructure (the outbox) and the apps both decide "only admins may" with this module, so the
outbox never imports accounts, which sits above it; `accounts.roles.ADMIN` is this same name.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import Q
from wagtail.permission_policies.base import BasePermissionPolicy

ADMIN_GROUP = "Admin"


def is_site_admin(user) -> bool:
    """Return True if the user is an active superuser or in the Admin group."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name=ADMIN_GROUP).exists()


class AdminOnlyPermissionPolicy(BasePermissionPolicy):
    """Let only admins take the given actions on a model in the admin; nobody else takes any."""

    def __init__(self, model, *, actions: frozenset[str]):
        super().__init__(model)
        self.actions = actions

    def user_has_permission(self, user, action: str) -> bool:
        return action in self.actions and is_site_admin(user)

    def user_has_any_permission(self, user, actions) -> bool:
        return any(action in self.actions for action in actions) and is_site_admin(user)

    def users_with_any_permission(self, actions):
        users = get_user_model().objects.filter(is_active=True)
        if not self.actions.intersection(actions):
            return users.none()
        return users.filter(Q(is_superuser=True) | Q(groups__name=ADMIN_GROUP)).distinct()

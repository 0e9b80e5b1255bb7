from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _apply_group_policy(sender, plan=None, **kwargs) -> None:
    """Re-apply the group policy after every migrate, so later apps' permissions reach Admin."""
    from .permissions import apply_group_policy, ensure_permissions_exist

    if plan is None:
        # `flush` (used between transactional tests) also sends post_migrate, without a plan.
        # Recreating rows there would clash with tests that restore the database's serialised
        # contents, which bring the groups back themselves.
        return

    ensure_permissions_exist()
    apply_group_policy()


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects allauth signal receivers)

        post_migrate.connect(_apply_group_policy, sender=self, dispatch_uid="accounts_group_policy")

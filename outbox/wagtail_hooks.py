"""Register the outbox admin screen and the retry action in Wagtail's audit log."""

from __future__ import annotations

from wagtail import hooks

from .admin_views import JobViewSet
from .services import RETRY_ACTION


@hooks.register("register_admin_viewset")
def register_outbox_viewset():
    return JobViewSet("outbox_admin", url_prefix="outbox")


@hooks.register("register_log_actions")
def register_outbox_log_actions(actions) -> None:
    actions.register_action(RETRY_ACTION, "Retry outbox job", "Retried outbox job")

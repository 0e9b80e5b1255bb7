"""Research in the Wagtail admin: the Research > Data cuts screens and the export actions in the audit log."""

from __future__ import annotations

from wagtail import hooks

from .services import LOG_CREATED, LOG_DOWNLOADED


@hooks.register("register_log_actions")
def register_research_log_actions(actions) -> None:
    actions.register_action(LOG_CREATED, "Create data cut", "Created data cut")
    actions.register_action(LOG_DOWNLOADED, "Download data cut", "Downloaded data cut")

"""Background work for modules: publishing pages whose scheduled time has come."""

from __future__ import annotations

from io import StringIO

from celery import shared_task
from django.core.management import call_command

from .services import sync_module_versions


@shared_task(ignore_result=True)
def publish_scheduled_pages() -> None:
    """Publish pages (and unpublish expired ones) whose scheduled time has passed.

    Celery beat runs this every minute. Wagtail's own command does the work and only acts on
    revisions whose time has come, so a second run in the same minute changes nothing.
    """
    call_command("publish_scheduled", stdout=StringIO())
    sync_module_versions()

"""Scheduled publishing under `make run`: the development server runs beat's schedule in-process.

Production runs `celery -A config beat`, which sends modules.tasks.publish_scheduled_pages every
minute. The embedded default has no broker and no beat; `make run` starts `manage.py runserver`,
which (config.devserver) runs the same schedule in a thread of the server process.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from django.conf import settings
from django.core.management import call_command, get_commands
from django.urls import reverse
from django.utils import formats, timezone

from accounts.roles import EDITOR
from config.devserver.beat import stop_embedded_beat
from modules.models import SectionPage
from modules.selectors import current_version, module_sections
from tests.accounts.factories import sign_in_with_second_factor
from tests.modules.factories import build_module, staff_user

ROOT = Path(__file__).resolve().parents[2]


def test_make_run_serves_with_the_dev_settings_runserver():
    run = re.search(r"^run:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.MULTILINE).group(1)
    assert "manage.py runserver" in run
    assert "--settings" not in run
    assert "config.settings.dev" in (ROOT / "manage.py").read_text()
    # Under the dev settings, runserver is the development server that runs beat's schedule.
    assert get_commands()["runserver"] == "config.devserver"
    assert settings.CELERY_TASK_ALWAYS_EAGER


def _wait_until_live(page_id: int, seconds: float = 30.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if SectionPage.objects.filter(pk=page_id, title="Corrected an hour ago").exists():
            return True
        time.sleep(0.2)
    return False


@pytest.mark.django_db(transaction=True)
def test_runserver_publishes_a_change_whose_scheduled_time_has_passed():
    now = timezone.now()
    # Two hours ago, an editor scheduled a correction for one hour ago; nothing ran since.
    with time_machine.travel(now - timedelta(hours=2), tick=False):
        module = build_module(sections=1)
        section = module_sections(module)[0]
        section.title = "Corrected an hour ago"
        section.go_live_at = now - timedelta(hours=1)
        section.save_revision().publish()
    assert SectionPage.objects.get(pk=section.pk).title == "Section 1"
    version_before = current_version(module).number

    published = []

    def serve_until_published(*args, **kwargs):
        # Stands in for the HTTP server loop: by now the command has started beat's schedule.
        published.append(_wait_until_live(section.pk))

    try:
        with mock.patch("django.core.management.commands.runserver.run", serve_until_published):
            call_command("runserver", "127.0.0.1:0", use_reloader=False, skip_checks=True)
    finally:
        stop_embedded_beat()

    assert published == [True]
    assert SectionPage.objects.get(pk=section.pk).live
    # The task beat runs also records the module's new version, as production's beat does.
    assert current_version(module).number == version_before + 1


@pytest.mark.django_db(transaction=True)
def test_runserver_with_a_broker_leaves_the_schedule_to_celery_beat(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with (
        mock.patch("django.core.management.commands.runserver.run"),
        mock.patch("config.devserver.management.commands.runserver.start_embedded_beat") as start,
    ):
        call_command("runserver", "127.0.0.1:0", use_reloader=False, skip_checks=True)
    start.assert_not_called()


@pytest.mark.django_db
def test_the_admin_shows_when_a_scheduled_change_will_go_live(client):
    module = build_module(sections=1)
    section = module_sections(module)[0]
    go_live = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    section.title = "Corrected on Friday"
    section.go_live_at = go_live
    section.save_revision().publish()
    sign_in_with_second_factor(client, staff_user(EDITOR))

    html = client.get(reverse("wagtailadmin_pages:edit", args=[section.pk])).content.decode()

    shown = formats.date_format(timezone.localtime(go_live), "DATETIME_FORMAT")
    assert re.search(r"Go-live:</span>\s*" + re.escape(shown), html), shown

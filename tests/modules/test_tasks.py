from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings

from modules.models import ModuleVersion, SectionPage
from modules.selectors import current_version, module_sections
from modules.tasks import publish_scheduled_pages

from .factories import build_module

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 5, 11, 8, 0, tzinfo=UTC)


def test_beat_runs_scheduled_publishing_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["publish-scheduled"]
    assert entry["task"] == publish_scheduled_pages.name == "modules.tasks.publish_scheduled_pages"
    assert entry["schedule"] == 60


def test_a_scheduled_change_goes_live_when_its_time_has_passed(django_capture_on_commit_callbacks):
    with time_machine.travel(T0, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            module = build_module(sections=2)
        section = module_sections(module)[0]
        section.title = "Corrected at nine"
        section.go_live_at = T0 + timedelta(hours=1)
        section.save_revision().publish()

        publish_scheduled_pages.delay()

        section.refresh_from_db()
        assert section.title == "Section 1"
        assert current_version(module).number == 1

    with time_machine.travel(T0 + timedelta(hours=1, minutes=1), tick=False):
        publish_scheduled_pages.delay()

    section.refresh_from_db()
    assert section.title == "Corrected at nine"
    version = current_version(module)
    assert version.number == 2
    assert version.published_at == T0 + timedelta(hours=1, minutes=1)
    assert version.revisions[str(section.pk)] == section.live_revision_id


def test_a_new_scheduled_section_is_not_live_until_its_time():
    with time_machine.travel(T0, tick=False):
        module = build_module(sections=1)
        new = module.add_child(instance=SectionPage(title="Later", slug="later", live=False))
        new.go_live_at = T0 + timedelta(days=1)
        new.save_revision().publish()
        publish_scheduled_pages()
        assert not SectionPage.objects.get(pk=new.pk).live

    with time_machine.travel(T0 + timedelta(days=1, seconds=30), tick=False):
        publish_scheduled_pages()
        publish_scheduled_pages()  # a second run in the same minute changes nothing

    assert SectionPage.objects.get(pk=new.pk).live
    assert [s.title for s in module_sections(module)] == ["Section 1", "Later"]
    # Version 1 was recorded by the first run; the section going live made version 2.
    numbers = ModuleVersion.objects.filter(module=module).order_by("number").values_list("number", flat=True)
    assert list(numbers) == [1, 2]

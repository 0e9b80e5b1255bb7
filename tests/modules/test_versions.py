from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import transaction

from modules.models import ModulePage, ModuleVersion, SectionPage
from modules.selectors import current_version, module_sections
from modules.services import current_version_number, record_module_version, sync_module_versions

from .factories import build_module, publish, staff_user

pytestmark = pytest.mark.django_db


def _numbers(module: ModulePage) -> list[int]:
    return list(ModuleVersion.objects.filter(module=module).order_by("number").values_list("number", flat=True))


@pytest.fixture
def module(django_capture_on_commit_callbacks) -> ModulePage:
    with django_capture_on_commit_callbacks(execute=True):
        return build_module(sections=2)


def test_publishing_a_module_and_its_sections_together_makes_version_1(module):
    version = current_version(module)
    assert _numbers(module) == [1]
    sections = module_sections(module)
    assert version.revisions == {
        str(module.pk): module.live_revision_id,
        **{str(s.pk): s.live_revision_id for s in sections},
    }
    assert current_version_number(module) == 1


def test_publishing_a_changed_section_bumps_the_module_version(module, django_capture_on_commit_callbacks):
    section = module_sections(module)[0]
    section.title = "Section 1, corrected"

    with django_capture_on_commit_callbacks(execute=True):
        publish(section)

    assert _numbers(module) == [1, 2]
    section.refresh_from_db()
    assert current_version(module).revisions[str(section.pk)] == section.live_revision_id


def test_publishing_without_changes_keeps_the_version(module, django_capture_on_commit_callbacks):
    section = module_sections(module)[1]

    with django_capture_on_commit_callbacks(execute=True):
        publish(section)
        publish(ModulePage.objects.get(pk=module.pk))

    assert _numbers(module) == [1]


def test_saving_a_draft_keeps_the_version(module, django_capture_on_commit_callbacks):
    section = module_sections(module)[0]
    section.title = "Draft title"

    with django_capture_on_commit_callbacks(execute=True):
        section.save_revision()

    assert _numbers(module) == [1]


def test_adding_or_unpublishing_a_section_bumps_the_version(module, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        new = module.add_child(instance=SectionPage(title="Section 3", slug="section-3", live=False))
        publish(new)
    assert _numbers(module) == [1, 2]

    with django_capture_on_commit_callbacks(execute=True):
        SectionPage.objects.get(pk=new.pk).unpublish()
    assert _numbers(module) == [1, 2, 3]
    assert str(new.pk) not in current_version(module).revisions


def test_versions_record_who_published(django_capture_on_commit_callbacks):
    publisher = staff_user(superuser=True)
    with django_capture_on_commit_callbacks(execute=True):
        module = build_module(sections=1, publish_pages=False)
        section = module_sections(module)  # nothing live yet
        assert section == []
        publish(module, user=publisher)

    assert current_version(module).published_by == publisher


def test_a_rolled_back_publish_records_nothing(module, django_capture_on_commit_callbacks):
    section = module_sections(module)[0]
    section.title = "Never published"

    def publish_then_fail() -> None:
        with transaction.atomic():
            publish(section)
            raise RuntimeError("abort")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        publish_then_fail()

    assert _numbers(module) == [1]


def test_an_unpublished_module_has_no_version():
    module = build_module(sections=1, publish_pages=False)
    assert record_module_version(module=module) is None
    assert current_version(module) is None
    assert current_version_number(module) == 1


def test_sync_records_a_version_missed_after_a_publish():
    # Published inside the test's transaction, so the after-commit step never ran.
    module = build_module(sections=2)
    assert _numbers(module) == []

    sync_module_versions()
    sync_module_versions()

    assert _numbers(module) == [1]


def test_published_at_is_the_time_of_recording(django_capture_on_commit_callbacks):
    at = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        module = build_module(sections=1)
    assert current_version(module).published_at == datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def test_versions_are_append_only(module):
    version = current_version(module)
    version.number = 99
    with pytest.raises(PermissionDenied):
        version.save()
    with pytest.raises(PermissionDenied):
        version.delete()


@pytest.mark.django_db(transaction=True)
def test_versions_are_recorded_after_a_real_commit():
    with transaction.atomic():
        module = build_module(sections=2)
    # The module and its sections were published in one transaction: one version.
    assert _numbers(module) == [1]

    section = module_sections(module)[0]
    section.title = "Changed"
    publish(section)

    assert _numbers(module) == [1, 2]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_simultaneous_section_publishes_number_versions_without_gaps_or_clashes():
    import threading

    from django.db import connection

    with transaction.atomic():
        module = build_module(sections=4)
    sections = module_sections(module)
    barrier = threading.Barrier(len(sections))
    errors: list[BaseException] = []

    def publish_change(section: SectionPage) -> None:
        try:
            section.title = f"{section.title} (revised)"
            barrier.wait(timeout=10)
            publish(section)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish_change, args=(s,)) for s in sections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = _numbers(module)
    assert numbers == list(range(1, len(numbers) + 1))
    assert len(numbers) >= 2
    latest = current_version(module)
    for section in sections:
        section.refresh_from_db()
        assert section.title.endswith("(revised)")
        assert latest.revisions[str(section.pk)] == section.live_revision_id

"""Structure changes (reorder, move, add, retire a section) number a new module version with a change note and a publisher."""

from __future__ import annotations

import uuid

import pytest
import time_machine
from django.urls import reverse
from wagtail.log_actions import LogContext

from accounts.roles import ADMIN, EDITOR, MODERATOR
from modules.models import ModulePage, SectionPage
from modules.selectors import current_version
from modules.services import SectionPlacement, change_module_structure, retire_page
from tests.accounts.factories import sign_in_with_second_factor
from tests.learning.factories import build_module, learner, sections_of

from .factories import staff_user

pytestmark = pytest.mark.django_db

TODAY = "2026-03-02 10:00:00+00:00"


def _signed_in(client, *groups):
    user = staff_user(*groups)
    sign_in_with_second_factor(client, user)
    return user


def _order(module: ModulePage) -> list[str]:
    return list(SectionPage.objects.child_of(module).order_by("path").values_list("title", flat=True))


def _structure_form(module: ModulePage, order: list[SectionPage], note: str, moves: dict | None = None) -> dict:
    moves = moves or {}
    data = {"change_note": note}
    for position, section in enumerate(order, start=1):
        data[f"position_{section.pk}"] = str(position)
        data[f"module_{section.pk}"] = str(moves.get(section.pk, module).pk)
    return data


@pytest.fixture
def module(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return build_module(slug="team", sections=[(1, 0), (1, 0), (1, 0)])


def test_a_moderator_reorders_sections_with_a_note_and_a_new_version_is_published(client, module):
    moderator = _signed_in(client, MODERATOR)
    first, second, third = sections_of(module)
    url = reverse("modules_admin:structure", args=[module.pk])

    page = client.get(url)
    response = client.post(url, _structure_form(module, [third, first, second], "Summary first, as reviewers asked."))

    assert page.status_code == 200
    assert response.status_code == 302, response.content.decode()
    assert _order(module) == ["Section 3", "Section 1", "Section 2"]
    version = current_version(module)
    assert version.number == 2
    assert version.published_by == moderator
    assert version.change_note == "Summary first, as reviewers asked."
    report = client.get(reverse("module_versions:index"))
    assert "Summary first, as reviewers asked." in report.content.decode()


def test_a_structure_change_needs_a_note(client, module):
    _signed_in(client, MODERATOR)
    first, second, third = sections_of(module)

    response = client.post(
        reverse("modules_admin:structure", args=[module.pk]), _structure_form(module, [third, first, second], " ")
    )

    assert response.status_code == 400
    assert "Describe the change" in response.content.decode()
    assert _order(module) == ["Section 1", "Section 2", "Section 3"]
    assert current_version(module).number == 1


def test_two_sections_cannot_share_a_position(client, module):
    _signed_in(client, MODERATOR)
    first, second, third = sections_of(module)
    data = _structure_form(module, [first, second, third], "Swap")
    data[f"position_{third.pk}"] = "1"

    response = client.post(reverse("modules_admin:structure", args=[module.pk]), data)

    assert response.status_code == 400
    assert "different position" in response.content.decode()


def test_an_unused_section_moves_to_another_module_and_both_get_a_version(client, module, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        other = build_module(slug="in-depth", kind="in_depth", sections=[(1, 0)])
    moderator = _signed_in(client, ADMIN)
    first, second, third = sections_of(module)

    response = client.post(
        reverse("modules_admin:structure", args=[module.pk]),
        _structure_form(module, [first, second, third], "Inhaler technique belongs in the in-depth module.", {third.pk: other}),
    )

    assert response.status_code == 302
    assert _order(module) == ["Section 1", "Section 2"]
    assert _order(other) == ["Section 1", "Section 3"]
    for changed in (module, other):
        version = current_version(changed)
        assert version.number == 2
        assert version.published_by == moderator
        assert version.change_note == "Inhaler technique belongs in the in-depth module."


def test_a_section_learners_used_cannot_move_to_another_module(client, module, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        other = build_module(slug="in-depth", kind="in_depth", sections=[(1, 0)])
    first, second, third = sections_of(module)
    member = learner()
    with time_machine.travel(TODAY, tick=False):
        client.force_login(member.user)
        assert client.get(third.url).status_code == 200
        client.logout()
    _signed_in(client, ADMIN)

    response = client.post(
        reverse("modules_admin:structure", args=[module.pk]),
        _structure_form(module, [first, second, third], "Move it", {third.pk: other}),
    )

    assert response.status_code == 400
    assert "has learner activity, so it cannot move to another module" in response.content.decode()
    assert _order(module) == ["Section 1", "Section 2", "Section 3"]
    assert current_version(other).number == 1


def test_an_editor_cannot_change_the_structure(client, module):
    _signed_in(client, EDITOR)
    first, second, third = sections_of(module)

    response = client.post(
        reverse("modules_admin:structure", args=[module.pk]), _structure_form(module, [third, first, second], "Try")
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    assert _order(module) == ["Section 1", "Section 2", "Section 3"]


def test_wagtails_own_reorder_and_move_are_closed_for_sections(client, module):
    _signed_in(client, ADMIN)
    first, second, third = sections_of(module)

    reorder = client.post(reverse("wagtailadmin_pages:set_page_position", args=[third.pk]) + "?position=0")
    move = client.get(reverse("wagtailadmin_pages:move", args=[third.pk]))

    assert reorder.status_code in (302, 403)
    assert move.status_code in (302, 403)
    assert _order(module) == ["Section 1", "Section 2", "Section 3"]


def test_adding_and_retiring_sections_are_described_in_the_version(module, django_capture_on_commit_callbacks):
    moderator = staff_user(MODERATOR)
    with django_capture_on_commit_callbacks(execute=True):
        added = module.add_child(
            instance=SectionPage(title="Spacers", slug="spacers", body=[
                {"type": "rich_text", "value": "<p>Spacers.</p>", "id": str(uuid.uuid4())}
            ])
        )
        added.save_revision(user=moderator).publish(user=moderator)
    assert current_version(module).change_note == "Section “Spacers” added."
    assert current_version(module).published_by == moderator

    with django_capture_on_commit_callbacks(execute=True):
        retire_page(page=sections_of(module)[0], user=moderator, note="Covered by Spacers now.")

    version = current_version(module)
    assert version.number == 3
    assert version.change_note == "Section “Section 1” retired: Covered by Spacers now."
    assert version.published_by == moderator


def test_published_by_is_filled_when_the_publish_left_no_log_entry(module, django_capture_on_commit_callbacks):
    """A direct publish outside a transaction records the version before Wagtail logs the publish."""
    editor = staff_user(EDITOR)
    moderator = staff_user(MODERATOR)
    section = sections_of(module)[1]
    section.title = "Section 2, corrected"

    # The admin's log context names the person publishing; there is no publish log entry yet.
    with LogContext(user=moderator), django_capture_on_commit_callbacks(execute=True):
        section.save_revision(user=editor).publish(log_action=False)
    assert current_version(module).published_by == moderator

    section = SectionPage.objects.get(pk=section.pk)
    section.title = "Section 2, corrected again"
    # Outside the admin (code, a shell): the revision's author.
    with django_capture_on_commit_callbacks(execute=True):
        section.save_revision(user=editor).publish(log_action=False)
    assert current_version(module).published_by == editor


def test_the_learners_record_shows_the_note_beside_the_version_they_completed(client, module, django_capture_on_commit_callbacks):
    earlier, later = learner(), learner()
    first, second, third = sections_of(module)
    with time_machine.travel(TODAY, tick=False):
        client.force_login(earlier.user)
        for section in (first, second, third):
            assert client.get(section.url).status_code == 200
    moderator = staff_user(MODERATOR)
    with django_capture_on_commit_callbacks(execute=True):
        change_module_structure(
            module=module, user=moderator, change_note="Summary first.",
            placements=[
                SectionPlacement(section=third, module=module, position=1),
                SectionPlacement(section=first, module=module, position=2),
                SectionPlacement(section=second, module=module, position=3),
            ],
        )
    with time_machine.travel(TODAY, tick=False):
        client.force_login(later.user)
        for section in (third, first, second):
            assert client.get(section.url).status_code == 200
        later_record = client.get(reverse("learning:record"))
        client.force_login(earlier.user)
        earlier_record = client.get(reverse("learning:record"))

    assert later_record.status_code == 200
    assert "(version 2)" in later_record.content.decode()
    assert "Version 2: Summary first." in later_record.content.decode()
    assert "(version 1)" in earlier_record.content.decode()
    assert "Summary first." not in earlier_record.content.decode()

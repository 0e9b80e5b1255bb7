"""A module is published and unpublished as one unit: no section of an unpublished module reaches a learner."""

from __future__ import annotations

import uuid

import pytest
import time_machine
from django.test import RequestFactory
from django.urls import reverse
from wagtail.models import PageLogEntry

from accounts.roles import EDITOR, MODERATOR
from learning.models import KnowledgeCheckAttempt, LearningEvent
from modules.models import ModulePage, SectionPage
from modules.selectors import current_version
from tests.accounts.factories import sign_in_with_second_factor
from tests.learning.factories import (
    build_module,
    check_id,
    check_option_ids,
    document,
    knowledge_check,
    learner,
    sections_of,
)

from .factories import staff_user

pytestmark = pytest.mark.django_db

TODAY = "2026-03-02 10:00:00+00:00"


@pytest.fixture
def module():
    return build_module(slug="team", sections=[(1, 0), (1, 1), (1, 0)])


def _moderator_client(client):
    moderator = staff_user(MODERATOR)
    sign_in_with_second_factor(client, moderator)
    return client, moderator


@pytest.mark.parametrize("include_descendants", [False, True])
def test_unpublishing_a_module_in_the_admin_unpublishes_its_sections(client, module, include_descendants):
    admin, moderator = _moderator_client(client)
    data = {"include_descendants": "on"} if include_descendants else {}

    response = admin.post(reverse("wagtailadmin_pages:unpublish", args=[module.pk]), data)

    assert response.status_code == 302
    assert not ModulePage.objects.get(pk=module.pk).live
    assert list(SectionPage.objects.child_of(module).live()) == []
    # Each section's unpublish is logged under the person who unpublished the module.
    entries = PageLogEntry.objects.filter(action="wagtail.unpublish", page__in=SectionPage.objects.child_of(module))
    assert entries.count() == 3
    assert {entry.user for entry in entries} == {moderator}


def test_unpublishing_a_module_in_code_unpublishes_its_sections(module):
    module.unpublish()
    assert list(SectionPage.objects.child_of(module).live()) == []


def test_the_unpublish_page_says_the_sections_go_too(client, module):
    admin, _ = _moderator_client(client)
    response = admin.get(reverse("wagtailadmin_pages:unpublish", args=[module.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Its 3 live sections will be unpublished with it" in html
    assert 'name="include_descendants"' not in html


def _orphan_live_section(module: ModulePage) -> SectionPage:
    """Unpublish the module, then publish one of its sections again (as an editor could), leaving it live alone."""
    module.unpublish()
    section = SectionPage.objects.child_of(module).order_by("path")[1].specific
    section.save_revision().publish()
    section.refresh_from_db()
    assert section.live
    return section


@time_machine.travel(TODAY, tick=False)
def test_no_section_of_an_unpublished_module_can_be_opened(client, module):
    first = sections_of(module)[0]
    member = learner()
    client.force_login(member.user)
    assert client.get(first.url).status_code == 200
    section = _orphan_live_section(module)

    assert client.get(section.url).status_code == 404
    assert client.get(module.url).status_code == 404
    assert LearningEvent.objects.filter(section=section).count() == 0


@time_machine.travel(TODAY, tick=False)
def test_no_section_of_an_unpublished_module_can_be_answered_or_completed(client, module):
    member = learner()
    client.force_login(member.user)
    section = _orphan_live_section(module)

    answer = client.post(
        reverse("learning:answer_knowledge_check", args=[section.pk, check_id(section)]),
        {"answer": check_option_ids(section, correct=True)},
    )
    complete = client.get(reverse("learning:module_completion", args=[module.slug]))

    assert answer.status_code == 404
    assert complete.status_code == 404
    assert KnowledgeCheckAttempt.objects.count() == 0


@time_machine.travel(TODAY, tick=False)
def test_sections_of_a_published_module_are_still_served(client, module):
    member = learner()
    client.force_login(member.user)
    for section in sections_of(module):
        assert client.get(section.url).status_code == 200


def _draft_section_with_check_and_resource(module: ModulePage) -> tuple[SectionPage, object]:
    """Add a never-published section whose draft holds a knowledge check and a new document."""
    plan = document(title="Spacer leaflet", name="spacer-leaflet.pdf")
    body = [
        knowledge_check("Which inhaler needs a spacer?", [("A pMDI", True), ("A dry powder inhaler", False)]),
        {"type": "resource", "id": str(uuid.uuid4()),
         "value": {"title": "Spacer leaflet", "document": plan.pk, "description": "For patients."}},
    ]
    section = module.add_child(instance=SectionPage(title="Spacers (draft)", slug="spacers", body=body, live=False))
    section.save_revision()
    return section, plan


@time_machine.travel(TODAY, tick=False)
def test_the_approver_previews_the_whole_draft_module_and_nothing_is_recorded(client, module):
    member = learner()  # a practice member who is also previewing: still nothing is recorded
    client.force_login(member.user)
    original = RequestFactory().get("/", HTTP_COOKIE=f"sessionid={client.cookies['sessionid'].value}")
    changed = sections_of(module)[0]
    changed.title = "Section 1, revised"
    changed.save_revision()
    draft, plan = _draft_section_with_check_and_resource(module)

    draft_module = ModulePage.objects.get(pk=module.pk)
    # The default preview, which the sign-off task's preview uses too.
    response = draft_module.make_preview_request(original_request=original, preview_mode=draft_module.default_preview_mode)

    assert response.status_code == 200
    html = response.content.decode()
    assert "This is a preview. Nothing you do here is recorded." in html
    assert "Section 1, revised" in html
    assert "Spacers (draft)" in html
    assert ">New<" in html
    assert ">Changed<" in html
    assert "Which inhaler needs a spacer?" in html
    # The question can be answered: its form posts to the admin's preview of the module, anchored at the check.
    block_id = check_id(SectionPage.objects.get(pk=draft.pk).get_latest_revision_as_object())
    action = reverse("modules_admin:preview", args=[module.pk]) + f"?check={block_id}#check-{block_id}"
    assert f'action="{action}"' in html
    assert "Check your answer" in html
    assert "Answers cannot be sent from a preview" not in html
    # The draft's new document opens from its own (staff-only) address, not the tracked download.
    assert plan.url in html
    assert reverse("learning:resource_download", args=[draft.pk, plan.pk]) not in html
    assert LearningEvent.objects.count() == 0


def test_the_module_page_preview_is_still_offered(module):
    response = module.make_preview_request(preview_mode="")
    assert response.status_code == 200
    assert ModulePage.preview_modes[0][0] == "whole"


def test_signing_off_a_module_publishes_its_changed_and_new_sections_as_one_version(
    client, module, django_capture_on_commit_callbacks
):
    editor = staff_user(EDITOR)
    moderator = staff_user(MODERATOR)
    first, second, third = sections_of(module)
    second.title = "Section 2, revised"
    second.save_revision(user=editor)
    draft, _ = _draft_section_with_check_and_resource(module)
    with django_capture_on_commit_callbacks(execute=True):
        third.unpublish()  # unpublished on purpose: the module's sign-off leaves it so
    module = ModulePage.objects.get(pk=module.pk)
    module.summary = "Revised for the 2027 season."
    module.save_revision(user=editor)
    workflow_state = module.get_workflow().start(module, editor)
    task_state = workflow_state.current_task_state
    before = current_version(module).number

    sign_in_with_second_factor(client, moderator)
    preview = client.get(reverse("wagtailadmin_pages:workflow_preview", args=[module.pk, task_state.task_id]))
    with django_capture_on_commit_callbacks(execute=True):
        task_state.task.specific.on_action(task_state, moderator, "approve")

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "Section 2, revised" in html
    assert "Spacers (draft)" in html
    assert "Revised for the 2027 season." in html
    assert "Section 3" not in html
    assert SectionPage.objects.get(pk=second.pk).title == "Section 2, revised"
    assert SectionPage.objects.get(pk=draft.pk).live
    assert not SectionPage.objects.get(pk=third.pk).live
    version = current_version(module)
    assert version.number == before + 1
    assert version.published_by == moderator
    assert str(draft.pk) in version.revisions
    # The new section, published by the module's sign-off with the module, is named in the version's note.
    assert version.change_note == "Section “Spacers (draft)” added."

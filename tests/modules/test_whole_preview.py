"""The whole-module preview: an approver answers its knowledge checks and sees a learner's feedback; nothing is recorded.

Also the preview of a proposed structure change: the sections in the proposed order, those leaving
the module marked.
"""

from __future__ import annotations

import uuid

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import reverse

from accounts.roles import EDITOR, MODERATOR
from learning.models import (
    KnowledgeCheckAttempt,
    LearningEvent,
    ModuleCompletion,
    ModuleProgress,
    ProtocolDeviation,
    SectionProgress,
)
from modules.models import ModulePage, SectionPage, StructureProposal
from modules.selectors import proposed_module_sections
from modules.services import SectionPlacement, propose_structure_change
from tests.accounts.factories import sign_in_with_second_factor
from tests.learning.factories import build_module, learner, sections_of

from .factories import staff_user

pytestmark = pytest.mark.django_db

TODAY = "2026-03-02 10:00:00+00:00"
LEARNER_TABLES = (LearningEvent, KnowledgeCheckAttempt, SectionProgress, ModuleProgress, ModuleCompletion, ProtocolDeviation)


def _check(question: str) -> dict:
    """A knowledge check with feedback on each option and an explanation."""
    return {
        "type": "knowledge_check",
        "id": str(uuid.uuid4()),
        "value": {
            "question": question, "kind": "single", "hint": "",
            "explanation": "<p>A spacer slows the spray down.</p>",
            "options": [
                {"type": "item", "id": str(uuid.uuid4()),
                 "value": {"text": "A pMDI", "is_correct": True, "feedback": "Yes: a pressurised inhaler."}},
                {"type": "item", "id": str(uuid.uuid4()),
                 "value": {"text": "A dry powder inhaler", "is_correct": False, "feedback": "No: it needs a fast breath."}},
            ],
        },
    }


@pytest.fixture
def module():
    return build_module(slug="team", sections=[(1, 0), (1, 0), (1, 0)])


@pytest.fixture
def draft(module):
    """A new section, drafted only, holding a knowledge check."""
    section = module.add_child(
        instance=SectionPage(title="Spacers (draft)", slug="spacers", body=[_check("Which inhaler needs a spacer?")], live=False)
    )
    section.save_revision()
    return SectionPage.objects.get(pk=section.pk)


def _options(section: SectionPage) -> tuple[str, str, str]:
    """Return the check's block id and its right and wrong option ids, as the section's latest draft holds them."""
    body = section.get_latest_revision_as_object().body
    block = next(b for b in body if b.block_type == "knowledge_check")
    right, wrong = (o.id for o in block.value["options"].bound_blocks)
    return block.id, right, wrong


@pytest.fixture
def approver(client):
    """A moderator who is also a member of a practice: if anything were recorded for them, it would show."""
    member = learner()
    member.user.groups.add(Group.objects.get(name=MODERATOR))
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    TOTP.activate(member.user, generate_totp_secret())
    sign_in_with_second_factor(client, member.user)
    return member.user


def _answer(client, module: ModulePage, block_id: str, options: list[str], proposal: StructureProposal | None = None):
    query = {"check": block_id}
    if proposal is not None:
        query["proposal"] = proposal.pk
    url = reverse("modules_admin:preview", args=[module.pk])
    return client.post(url + "?" + "&".join(f"{k}={v}" for k, v in query.items()), {"answer": options})


@time_machine.travel(TODAY, tick=False)
def test_the_approver_answers_a_question_and_sees_the_learners_feedback_with_nothing_recorded(client, module, draft, approver):
    block_id, right, wrong = _options(draft)
    before = {table.__name__: table.objects.count() for table in LEARNER_TABLES}

    page = client.get(reverse("modules_admin:preview", args=[module.pk]))
    wrong_answer = _answer(client, module, block_id, [wrong])
    right_answer = _answer(client, module, block_id, [right])

    assert page.status_code == 200
    # Wagtail's editor shows the preview in a frame, and an answer posted there comes back into it.
    assert wrong_answer["X-Frame-Options"] == "SAMEORIGIN"
    assert "Which inhaler needs a spacer?" in page.content.decode()
    assert "Check your answer" in page.content.decode()
    assert wrong_answer.status_code == 200
    html = wrong_answer.content.decode()
    assert "Not quite – have another go" in html
    assert "No: it needs a fast breath." in html
    assert "A spacer slows the spray down." in html
    assert "Your answer was not recorded." in html
    assert f'value="{wrong}" checked' in html
    html = right_answer.content.decode()
    assert ">Correct<" in html
    assert "Yes: a pressurised inhaler." in html
    assert "Not quite" not in html
    # The form posts back to the preview, anchored at the check, so it works without JavaScript.
    assert f'action="{reverse("modules_admin:preview", args=[module.pk])}?check={block_id}#check-{block_id}"' in html
    # Nothing recorded: no event, no progress, no attempt, for the approver or anyone.
    assert {table.__name__: table.objects.count() for table in LEARNER_TABLES} == before
    assert set(before.values()) == {0}


def test_an_answer_that_is_not_valid_gets_the_learners_message(client, module, draft, approver):
    block_id, _, _ = _options(draft)

    none_chosen = _answer(client, module, block_id, [])
    unknown_option = _answer(client, module, block_id, ["not-an-option"])
    unknown_check = _answer(client, module, "not-a-check", [])

    assert none_chosen.status_code == 200
    assert "Choose an answer." in none_chosen.content.decode()
    assert "That answer is not one of the options." in unknown_option.content.decode()
    assert unknown_check.status_code == 400
    assert "That question is not in this module&#x27;s draft any more." in unknown_check.content.decode()
    assert KnowledgeCheckAttempt.objects.count() == 0


def test_only_staff_who_may_edit_the_module_see_its_preview(client, module, draft):
    member = learner()
    client.force_login(member.user)

    response = client.get(reverse("modules_admin:preview", args=[module.pk]))

    assert response.status_code in (302, 403)
    assert "Which inhaler needs a spacer?" not in response.content.decode()


def test_the_preview_of_a_proposal_shows_the_proposed_order_and_marks_sections_leaving(
    client, module, draft, approver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        other = build_module(slug="in-depth", kind="in_depth", sections=[(1, 0)])
    first, second, third = sections_of(module)
    editor = staff_user(EDITOR)
    proposal = propose_structure_change(
        module=module, user=editor, change_note="Spacers first; section 2 moves; section 3 goes.",
        placements=[
            SectionPlacement(section=first, module=module, position=2),
            SectionPlacement(section=second, module=other, position=1),
            SectionPlacement(section=third, module=module, position=3, retire=True),
            SectionPlacement(section=draft, module=module, position=1),
        ],
    )
    block_id, right, _ = _options(draft)

    response = client.get(reverse("modules_admin:preview", args=[module.pk]) + f"?proposal={proposal.pk}")
    answered = _answer(client, module, block_id, [right], proposal)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Spacers first; section 2 moves; section 3 goes." in html
    assert html.index("1. Spacers (draft)") < html.index("2. Section 1")
    assert "Moves to Module in-depth" in html
    assert ">Retired<" in html
    assert "3. Section" not in html
    assert ">Correct<" in answered.content.decode()
    assert f"proposal={proposal.pk}" in answered.content.decode()
    # Nothing changed: the proposal is only previewed.
    assert [s.title for s in sections_of(module)] == ["Section 1", "Section 2", "Section 3"]
    assert LearningEvent.objects.count() == 0


def test_the_sign_off_preview_names_a_structure_change_waiting_for_approval(module):
    first, second, third = sections_of(module)
    proposal = propose_structure_change(
        module=module, user=staff_user(EDITOR), change_note="Summary first.",
        placements=[
            SectionPlacement(section=third, module=module, position=1),
            SectionPlacement(section=first, module=module, position=2),
            SectionPlacement(section=second, module=module, position=3),
        ],
    )

    response = module.make_preview_request(RequestFactory().get("/"), preview_mode="whole")

    html = response.content.decode()
    assert "Structure change waiting for approval" in html
    assert reverse("modules_admin:proposal", args=[proposal.pk]) in html
    # The sections themselves keep their current order until it is approved.
    assert html.index("1. Section 1") < html.index("2. Section 2") < html.index("3. Section 3")


def test_a_moderator_reads_the_proposal_page_with_its_placements(client, module):
    first, second, third = sections_of(module)
    proposal = propose_structure_change(
        module=module, user=staff_user(EDITOR), change_note="Summary first.",
        placements=[
            SectionPlacement(section=third, module=module, position=1),
            SectionPlacement(section=first, module=module, position=2),
            SectionPlacement(section=second, module=module, position=3),
        ],
    )
    sign_in_with_second_factor(client, staff_user(MODERATOR))

    html = client.get(reverse("modules_admin:proposal", args=[proposal.pk])).content.decode()

    assert "Made from" in html
    assert "Version 1 of the module" in html
    assert reverse("modules_admin:preview", args=[module.pk]) + f"?proposal={proposal.pk}" in html


def test_only_the_sections_a_proposal_moves_are_marked_moved(module):
    first, second, third = sections_of(module)
    proposal = propose_structure_change(
        module=module, user=staff_user(EDITOR), change_note="Summary first.",
        placements=[
            SectionPlacement(section=third, module=module, position=1),
            SectionPlacement(section=first, module=module, position=2),
            SectionPlacement(section=second, module=module, position=3),
        ],
    )

    staying, leaving = proposed_module_sections(proposal)

    assert [(row.number, row.section.title, row.reordered) for row in staying] == [
        (1, "Section 3", True), (2, "Section 1", False), (3, "Section 2", False),
    ]
    assert leaving == []

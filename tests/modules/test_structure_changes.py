"""Structure changes (reorder, move, add, retire a section) go through sign-off and number a new module version.

Editors propose (stored, nothing applied); a moderator other than the proposer approves (applied, a
version published under the approver with the proposer's note) or rejects (nothing applied).
"""

from __future__ import annotations

import uuid

import pytest
import time_machine
from django.urls import reverse
from wagtail.log_actions import LogContext
from wagtail.models import PageLogEntry

from accounts.roles import ADMIN, EDITOR, MODERATOR, RESEARCHER
from modules.models import ModulePage, SectionPage, StructureProposal
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


def _propose(client, module: ModulePage, order: list[SectionPage], note: str, moves: dict | None = None):
    return client.post(reverse("modules_admin:structure", args=[module.pk]), _structure_form(module, order, note, moves))


def _decide(client, proposal: StructureProposal, decision: str, comment: str = ""):
    return client.post(reverse("modules_admin:proposal", args=[proposal.pk]), {"decision": decision, "comment": comment})


def test_an_editor_proposes_a_reorder_and_a_moderator_approves_it(client, module):
    editor = _signed_in(client, EDITOR)
    first, second, third = sections_of(module)
    url = reverse("modules_admin:structure", args=[module.pk])

    page = client.get(url)
    with time_machine.travel(TODAY, tick=False):
        response = _propose(client, module, [third, first, second], "Summary first, as reviewers asked.")

    assert page.status_code == 200
    assert response.status_code == 302, response.content.decode()
    proposal = StructureProposal.objects.get()
    assert response["Location"] == reverse("modules_admin:proposal", args=[proposal.pk])
    # Stored: who, when, the placements, the note and the version it was made from; nothing applied.
    assert proposal.proposed_by == editor
    assert proposal.proposed_at.isoformat() == "2026-03-02T10:00:00+00:00"
    assert proposal.change_note == "Summary first, as reviewers asked."
    assert proposal.based_on_version == 1
    assert proposal.sections_before == [first.pk, second.pk, third.pk]
    assert proposal.placements == [
        {"section": first.pk, "module": module.pk, "position": 2, "retire": False},
        {"section": second.pk, "module": module.pk, "position": 3, "retire": False},
        {"section": third.pk, "module": module.pk, "position": 1, "retire": False},
    ]
    assert proposal.status == "pending"
    assert _order(module) == ["Section 1", "Section 2", "Section 3"]
    assert current_version(module).number == 1
    assert PageLogEntry.objects.get(action="modules.propose_structure").user == editor
    # The editor cannot decide it.
    assert _decide(client, proposal, "approve").status_code in (302, 403)
    assert StructureProposal.objects.get().status == "pending"

    moderator = _signed_in(client, MODERATOR)
    shown = client.get(reverse("modules_admin:proposal", args=[proposal.pk]))
    assert shown.status_code == 200
    assert "Summary first, as reviewers asked." in shown.content.decode()
    assert "Approve and publish" in shown.content.decode()
    decided = _decide(client, proposal, "approve", "Agreed.")

    assert decided.status_code == 302, decided.content.decode()
    assert _order(module) == ["Section 3", "Section 1", "Section 2"]
    version = current_version(module)
    assert version.number == 2
    assert version.published_by == moderator
    assert version.proposed_by == editor
    assert version.change_note == "Summary first, as reviewers asked."
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by, proposal.decision_comment) == ("approved", moderator, "Agreed.")
    assert proposal.published_versions == {str(module.pk): 2}
    entry = PageLogEntry.objects.get(action="modules.approve_structure")
    assert entry.user == moderator
    assert entry.data["comment"] == "Agreed."
    report = client.get(reverse("module_versions:index"))
    assert "Summary first, as reviewers asked." in report.content.decode()
    history = client.get(reverse("wagtailadmin_pages:history", args=[module.pk])).content.decode()
    assert "Structure change proposed: Summary first, as reviewers asked." in history
    assert "Structure change approved: Summary first, as reviewers asked. Comment: Agreed." in history


def test_a_structure_change_needs_a_note(client, module):
    _signed_in(client, EDITOR)
    first, second, third = sections_of(module)

    response = _propose(client, module, [third, first, second], " ")

    assert response.status_code == 400
    assert "Describe the change" in response.content.decode()
    assert not StructureProposal.objects.exists()


def test_two_sections_cannot_share_a_position(client, module):
    _signed_in(client, EDITOR)
    first, second, third = sections_of(module)
    data = _structure_form(module, [first, second, third], "Swap")
    data[f"position_{third.pk}"] = "1"

    response = client.post(reverse("modules_admin:structure", args=[module.pk]), data)

    assert response.status_code == 400
    assert "different position" in response.content.decode()
    assert not StructureProposal.objects.exists()


def test_a_proposal_that_changes_nothing_is_refused(client, module):
    _signed_in(client, EDITOR)

    response = _propose(client, module, sections_of(module), "No change")

    assert response.status_code == 400
    assert "Nothing changed" in response.content.decode()


def test_an_unused_section_moves_to_another_module_and_both_get_a_version(client, module, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        other = build_module(slug="in-depth", kind="in_depth", sections=[(1, 0)])
    editor = _signed_in(client, EDITOR)
    first, second, third = sections_of(module)
    assert _propose(
        client, module, [first, second, third], "Inhaler technique belongs in the in-depth module.", {third.pk: other}
    ).status_code == 302
    admin = _signed_in(client, ADMIN)

    response = _decide(client, StructureProposal.objects.get(), "approve")

    assert response.status_code == 302
    assert _order(module) == ["Section 1", "Section 2"]
    assert _order(other) == ["Section 1", "Section 3"]
    for changed in (module, other):
        version = current_version(changed)
        assert version.number == 2
        assert version.published_by == admin
        assert version.proposed_by == editor
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
    _signed_in(client, EDITOR)

    response = _propose(client, module, [first, second, third], "Move it", {third.pk: other})

    assert response.status_code == 400
    assert "has learner activity, so it cannot move to another module" in response.content.decode()
    assert not StructureProposal.objects.exists()
    assert _order(module) == ["Section 1", "Section 2", "Section 3"]
    assert current_version(other).number == 1


def test_a_proposal_retires_a_section_once_approved(client, module, django_capture_on_commit_callbacks):
    first, second, third = sections_of(module)
    member = learner()
    with time_machine.travel(TODAY, tick=False):
        client.force_login(member.user)
        assert client.get(second.url).status_code == 200
    editor = _signed_in(client, EDITOR)
    data = _structure_form(module, [first, second, third], "Section 2 repeated section 1.")
    data[f"module_{second.pk}"] = "retire"
    assert client.post(reverse("modules_admin:structure", args=[module.pk]), data).status_code == 302
    # Until approved, the section stays live for learners.
    assert SectionPage.objects.get(pk=second.pk).live
    moderator = _signed_in(client, MODERATOR)

    with django_capture_on_commit_callbacks(execute=True):
        response = _decide(client, StructureProposal.objects.get(), "approve")

    assert response.status_code == 302
    retired = SectionPage.objects.get(pk=second.pk)
    assert retired.is_retired
    assert not retired.live
    assert retired.retired_by == moderator
    assert retired.retirement_note == "Section 2 repeated section 1."
    version = current_version(module)
    assert version.number == 2
    assert version.change_note == "Section 2 repeated section 1."
    assert (version.published_by, version.proposed_by) == (moderator, editor)
    assert str(second.pk) not in version.revisions
    client.force_login(member.user)
    assert client.get(second.url).status_code == 404


def test_nothing_reaches_learners_before_approval(client, module):
    first, second, third = sections_of(module)
    _signed_in(client, EDITOR)
    assert _propose(client, module, [third, first, second], "Summary first.").status_code == 302
    member = learner()

    with time_machine.travel(TODAY, tick=False):
        client.force_login(member.user)
        html = client.get(module.url).content.decode()

    assert html.index("Section 1") < html.index("Section 2") < html.index("Section 3")
    assert _order(module) == ["Section 1", "Section 2", "Section 3"]
    assert current_version(module).number == 1


def test_no_one_approves_their_own_proposal(client, module):
    first, second, third = sections_of(module)
    moderator = _signed_in(client, MODERATOR)
    assert _propose(client, module, [third, first, second], "Summary first.").status_code == 302
    proposal = StructureProposal.objects.get()
    assert proposal.proposed_by == moderator
    assert "another moderator approves it" in client.get(reverse("modules_admin:proposal", args=[proposal.pk])).content.decode()

    response = _decide(client, proposal, "approve")

    assert response.status_code == 400
    assert "You proposed this change, so another moderator must approve it." in response.content.decode()
    assert StructureProposal.objects.get().status == "pending"
    assert _order(module) == ["Section 1", "Section 2", "Section 3"]


def test_a_moderator_rejects_a_proposal_with_a_comment_and_nothing_changes(client, module):
    first, second, third = sections_of(module)
    _signed_in(client, EDITOR)
    assert _propose(client, module, [third, first, second], "Summary first.").status_code == 302
    proposal = StructureProposal.objects.get()
    moderator = _signed_in(client, MODERATOR)

    without_comment = _decide(client, proposal, "reject", "  ")
    response = _decide(client, proposal, "reject", "The summary belongs at the end.")

    assert without_comment.status_code == 400
    assert "Say why the change is rejected" in without_comment.content.decode()
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decided_by) == ("rejected", moderator)
    assert proposal.decision_comment == "The summary belongs at the end."
    assert _order(module) == ["Section 1", "Section 2", "Section 3"]
    assert current_version(module).number == 1
    entry = PageLogEntry.objects.get(action="modules.reject_structure")
    assert (entry.user, entry.data["comment"]) == (moderator, "The summary belongs at the end.")
    # A decided proposal cannot be decided again.
    again = _decide(client, proposal, "approve")
    assert again.status_code == 400
    assert "already rejected" in again.content.decode()


def test_a_proposal_made_from_an_older_version_cannot_be_approved(client, module):
    first, second, third = sections_of(module)
    _signed_in(client, EDITOR)
    assert _propose(client, module, [third, first, second], "Summary first.").status_code == 302
    assert _propose(client, module, [first, third, second], "Swap the last two.").status_code == 302
    earlier, later = StructureProposal.objects.order_by("pk")
    _signed_in(client, MODERATOR)
    assert _decide(client, earlier, "approve").status_code == 302

    page = client.get(reverse("modules_admin:proposal", args=[later.pk]))
    response = _decide(client, later, "approve")

    stale = "This proposal was made from version 1 of “Module team”, which is now version 2"
    assert stale in page.content.decode()
    assert "Approve and publish" not in page.content.decode()
    assert response.status_code == 400
    assert stale in response.content.decode()
    assert StructureProposal.objects.get(pk=later.pk).status == "pending"
    assert _order(module) == ["Section 3", "Section 1", "Section 2"]
    assert current_version(module).number == 2


def test_pending_proposals_are_listed_and_shown_on_the_modules_admin_pages(client, module):
    first, second, third = sections_of(module)
    _signed_in(client, EDITOR)
    assert _propose(client, module, [third, first, second], "Summary first.").status_code == 302
    proposal = StructureProposal.objects.get()
    _signed_in(client, MODERATOR)

    listing = client.get(reverse("modules_admin:proposals")).content.decode()
    explorer = client.get(reverse("wagtailadmin_explore", args=[module.pk])).content.decode()
    structure = client.get(reverse("modules_admin:structure", args=[module.pk])).content.decode()

    link = reverse("modules_admin:proposal", args=[proposal.pk])
    assert "Summary first." in listing
    assert link in listing
    assert "Structure change waiting for approval" in explorer
    assert link in explorer
    assert "Already waiting for approval" in structure


def test_people_who_cannot_edit_pages_cannot_propose_or_see_proposals(client, module):
    first, second, third = sections_of(module)
    _signed_in(client, EDITOR)
    assert _propose(client, module, [third, first, second], "Summary first.").status_code == 302
    proposal = StructureProposal.objects.get()
    _signed_in(client, RESEARCHER)

    response = _propose(client, module, [first, third, second], "Try")
    listing = client.get(reverse("modules_admin:proposals"))
    shown = client.get(reverse("modules_admin:proposal", args=[proposal.pk]))
    decided = _decide(client, proposal, "reject", "No.")
    preview = client.get(reverse("modules_admin:preview", args=[module.pk]) + f"?proposal={proposal.pk}")

    for refused in (response, listing, shown, decided, preview):
        assert refused.status_code in (302, 403)
        assert "Summary first." not in refused.content.decode()
    assert StructureProposal.objects.get().status == "pending"
    assert StructureProposal.objects.count() == 1


def test_a_proposal_for_a_module_retired_since_cannot_be_approved(client, module, django_capture_on_commit_callbacks):
    first, second, third = sections_of(module)
    _signed_in(client, EDITOR)
    assert _propose(client, module, [third, first, second], "Summary first.").status_code == 302
    moderator = _signed_in(client, MODERATOR)
    with django_capture_on_commit_callbacks(execute=True):
        retire_page(page=module, user=moderator, note="Replaced by the 2027 module.")

    response = _decide(client, StructureProposal.objects.get(), "approve")

    assert response.status_code == 400
    assert "has been retired since this proposal was made" in response.content.decode()
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

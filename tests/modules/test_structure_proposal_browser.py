"""In Chromium: an editor proposes a change to a module's structure; a moderator previews the whole draft
module with the change, answers a question and reads its feedback, and approves it; a learner then sees
the new version, while their learning record keeps the version they completed.

Every page visited is checked with axe (WCAG 2.2 AA, 0 violations); the `browser` fixture
(tests/conftest.py) fails the test on any Content-Security-Policy violation or off-site request.
Screenshots go to /tmp/h14-*.png (H14_SHOTS_PREFIX) to be looked at.
"""

from __future__ import annotations

import os
import re

import pytest
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from accounts.permissions import apply_group_policy, ensure_permissions_exist
from accounts.roles import EDITOR, MODERATOR
from learning.models import KnowledgeCheckAttempt, LearningEvent, ModuleCompletion
from modules.models import StructureProposal
from modules.selectors import current_version
from tests.accounts.factories import staff_user
from tests.learning.factories import build_module, learner, sections_of
from tests.modules.test_sign_off_browser import _assert_accessible, _sign_in_staff

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("H14_SHOTS_PREFIX", "/tmp/h14-")  # noqa: S108
NOTE = "The knowledge check comes first, so learners see what the module asks of them."


@pytest.fixture(autouse=True)
def _allow_sync_orm_under_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses that by default.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def test_an_editor_proposes_a_structure_change_a_moderator_previews_answers_and_approves_it(live_server, browser):
    # Five sections of weight 1, the last with a question: four undertaken reach the 80% threshold.
    module = build_module(slug="team", sections=[(1, 0), (1, 0), (1, 0), (1, 0), (1, 1)])
    ensure_permissions_exist()
    apply_group_policy()
    editor = staff_user(EDITOR, email="editor@example.org")
    moderator = staff_user(MODERATOR, email="moderator@example.org")
    member = learner(email="learner@example.org")
    sections = sections_of(module)
    done_version = current_version(module).number
    client = Client()
    client.force_login(member.user)
    for section in sections:
        assert client.get(section.url).status_code == 200
    assert ModuleCompletion.objects.get(user=member.user).module_version == done_version
    events_before = LearningEvent.objects.count()
    attempts_before = KnowledgeCheckAttempt.objects.count()
    base = live_server.url

    # The editor proposes: the section with the question moves to the front.
    editor_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    structure_url = reverse("modules_admin:structure", args=[module.pk])
    _sign_in_staff(editor_page, base, editor, structure_url)
    editor_page.reload()  # without Wagtail's "signed in" message, whose green falls just short of 4.5:1
    _assert_accessible(editor_page)
    for position, section in enumerate([sections[4], *sections[:4]], start=1):
        editor_page.get_by_label(f"Position of “{section.title}”").fill(str(position))
    editor_page.get_by_label("What changed, and why?").fill(NOTE)
    editor_page.get_by_role("button", name="Propose this change").click()
    editor_page.wait_for_url(re.compile(r".*/admin/modules/structure-changes/\d+/$"))
    proposal = StructureProposal.objects.get()
    assert (proposal.proposed_by, proposal.status, proposal.based_on_version) == (editor, "pending", done_version)
    expect(editor_page.get_by_text("A moderator approves or rejects this change")).to_be_visible()
    _assert_accessible(editor_page)
    editor_page.screenshot(path=f"{SHOTS}proposal-editor.png", full_page=True)
    # Nothing reaches learners before approval.
    assert [s.title for s in sections_of(module)] == [f"Section {n}" for n in range(1, 6)]
    assert current_version(module).number == done_version

    # The moderator finds it among the pending changes, previews the whole module with it, and answers the question.
    moderator_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    list_url = reverse("modules_admin:proposals")
    _sign_in_staff(moderator_page, base, moderator, list_url)
    moderator_page.reload()
    _assert_accessible(moderator_page)
    moderator_page.get_by_role("link", name=module.title).click()
    moderator_page.wait_for_url(re.compile(r".*/admin/modules/structure-changes/\d+/$"))
    expect(moderator_page.get_by_text(NOTE).first).to_be_visible()
    _assert_accessible(moderator_page)
    moderator_page.screenshot(path=f"{SHOTS}proposal-moderator.png", full_page=True)
    moderator_page.get_by_role("link", name="Preview the whole module with this change").click()
    moderator_page.wait_for_url(re.compile(r".*/admin/modules/\d+/preview/\?proposal=\d+$"))
    headings = moderator_page.locator("h2.nhsuk-heading-l").all_inner_texts()
    assert [" ".join(h.split()[:3]) for h in headings] == [
        "1. Section 5", "2. Section 1", "3. Section 2", "4. Section 3", "5. Section 4",
    ]
    _assert_accessible(moderator_page)
    moderator_page.screenshot(path=f"{SHOTS}preview-1280.png", full_page=True)
    moderator_page.get_by_label("Wrong").check()
    moderator_page.get_by_role("button", name="Check your answer").click()
    expect(moderator_page.get_by_role("heading", name="Not quite – have another go")).to_be_visible()
    expect(moderator_page.get_by_text("Feedback: Wrong")).to_be_visible()
    moderator_page.get_by_label("Right").check()
    moderator_page.get_by_role("button", name="Check your new answer").click()
    expect(moderator_page.get_by_role("heading", name="Correct")).to_be_visible()
    expect(moderator_page.get_by_text("Your answer was not recorded.")).to_be_visible()
    assert "proposal=" in moderator_page.url
    assert "#check-" in moderator_page.url
    _assert_accessible(moderator_page)
    moderator_page.screenshot(path=f"{SHOTS}preview-feedback-1280.png", full_page=True)
    moderator_page.set_viewport_size({"width": 390, "height": 844})
    _assert_accessible(moderator_page)
    moderator_page.screenshot(path=f"{SHOTS}preview-390.png", full_page=True)
    moderator_page.set_viewport_size({"width": 1280, "height": 900})
    # Answering in the preview recorded nothing.
    assert LearningEvent.objects.count() == events_before
    assert KnowledgeCheckAttempt.objects.count() == attempts_before

    # The moderator approves it.
    moderator_page.goto(base + reverse("modules_admin:proposal", args=[proposal.pk]))
    moderator_page.get_by_label("Comment for the proposer").fill("Agreed with the trial team.")
    moderator_page.get_by_role("button", name="Approve and publish").click()
    expect(moderator_page.get_by_text("Structure change approved and published")).to_be_visible()
    proposal.refresh_from_db()
    assert proposal.status == "approved"
    version = current_version(module)
    assert version.number == done_version + 1
    assert (version.published_by, version.proposed_by, version.change_note) == (moderator, editor, NOTE)

    # The learner sees the new version; their record keeps the version they completed.
    learner_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    learner_page.context.add_cookies([
        {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base},
    ])
    learner_page.goto(base + module.url)
    links = learner_page.locator("main a", has_text=re.compile(r"^Section \d$")).all_inner_texts()
    assert links[:2] == ["Section 5", "Section 1"], links
    _assert_accessible(learner_page)
    learner_page.goto(base + reverse("learning:record"))
    assert f"(version {done_version})" in learner_page.content()
    _assert_accessible(learner_page)
    learner_page.screenshot(path=f"{SHOTS}learner-record.png", full_page=True)
    assert ModuleCompletion.objects.get(user=member.user).module_version == done_version

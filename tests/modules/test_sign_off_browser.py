"""In Chromium: an editor adds a section to a module and submits the module for sign-off; a moderator
previews the whole draft module (answers a question and reads its feedback) and approves it; a learner then
sees the new version, while their learning record keeps the version they completed.

Every site page is checked with axe (WCAG 2.2 AA, 0 violations); the `browser` fixture
(tests/conftest.py) fails the test on any Content-Security-Policy violation or off-site request.
Screenshots of the preview go to /tmp/shots_a/ (SHOTS_A_DIR) to be looked at.
"""

from __future__ import annotations

import importlib
import os
import re
from pathlib import Path

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.apps import apps
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from accounts.permissions import apply_group_policy, ensure_permissions_exist
from accounts.roles import ADMIN, EDITOR, MODERATOR
from learning.models import ModuleCompletion
from modules.models import ModulePage, SectionPage, StructureProposal
from modules.selectors import current_version
from tests.accounts.factories import PASSWORD, TOTP_SECRET, staff_user
from tests.learning.factories import build_module, learner, sections_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
SHOTS = Path(os.environ.get("SHOTS_A_DIR", "/tmp/shots_a"))  # noqa: S108
NEW_SECTION = "Spacers and inhaler technique"


@pytest.fixture(autouse=True)
def _allow_sync_orm_under_playwright(monkeypatch):
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses that by default.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def _assert_accessible(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    # Wagtail's admin messages fade in: measure colours once every finite animation has ended.
    page.evaluate(
        "Promise.all(document.getAnimations()"
        ".filter((a) => a.effect && a.effect.getComputedTiming().endTime !== Infinity)"
        ".map((a) => a.finished))"
    )
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, results.generate_report()


def _sign_in_staff(page, base: str, user, next_path: str) -> None:
    page.goto(f"{base}{reverse('account_login')}?next={next_path}")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url(re.compile(r".*/accounts/2fa/authenticate/"))
    page.fill("input[name=code]", format_hotp_value(hotp_value(TOTP_SECRET, next(iter(yield_hotp_counters_from_time())))))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(f"{base}{next_path}")


def _footer_action(page, name: str) -> None:
    """Click an action in the page editor's footer, opening its menu of more actions if it is there."""
    button = page.locator("footer").get_by_role("button", name=name, exact=True)
    if not button.is_visible():
        page.locator("footer [data-w-dropdown-target=toggle]").first.click()
    button.click()


def _sign_off_workflow() -> None:
    # A transactional test's flush removed the workflow the migration made; make it again the same way.
    migration = importlib.import_module("modules.migrations.0003_clinical_sign_off_workflow")
    migration.create_workflow(apps, None)


def test_an_editor_adds_a_section_a_moderator_previews_and_approves_and_a_learner_sees_the_new_version(
    live_server, browser
):
    # Five sections of weight 1, the last with a question: four undertaken reach the 80% threshold.
    module = build_module(slug="team", sections=[(1, 0), (1, 0), (1, 0), (1, 0), (1, 1)])
    ensure_permissions_exist()
    apply_group_policy()
    _sign_off_workflow()
    editor = staff_user(EDITOR, email="editor@example.org")
    moderator = staff_user(MODERATOR, email="moderator@example.org")
    member = learner(email="learner@example.org")
    # Outside a test transaction each publish numbered its own version: the module, then each section.
    done_version = current_version(module).number
    # The learner completes the module at its current version.
    client = Client()
    client.force_login(member.user)
    for section in sections_of(module):
        assert client.get(section.url).status_code == 200
    assert ModuleCompletion.objects.get(user=member.user).module_version == done_version
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)

    # The editor drafts a new section and submits the module for sign-off.
    editor_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    add_url = reverse("wagtailadmin_pages:add", args=["modules", "sectionpage", module.pk])
    _sign_in_staff(editor_page, base, editor, add_url)
    editor_page.fill("#id_title", NEW_SECTION)
    editor_page.press("#id_title", "Tab")
    # Wagtail fills the slug from the title in the browser; saving before it has would be refused.
    expect(editor_page.locator("#id_slug")).to_have_value("spacers-and-inhaler-technique")
    editor_page.fill("#id_summary", "Why a spacer helps, and how to check technique.")
    editor_page.locator("footer").get_by_role("button", name="Save draft").click()
    editor_page.wait_for_url(re.compile(r".*/admin/pages/\d+/edit/$"))
    draft = SectionPage.objects.get(title=NEW_SECTION)
    assert not draft.live
    editor_page.goto(base + reverse("wagtailadmin_pages:edit", args=[module.pk]))
    _footer_action(editor_page, "Submit to Clinical sign-off")
    for _ in range(100):  # the submission's request may still be running
        module = ModulePage.objects.get(pk=module.pk)
        workflow_state = module.current_workflow_state
        if workflow_state is not None:
            break
        editor_page.wait_for_timeout(100)
    assert workflow_state is not None
    task_id = workflow_state.current_task_state.task_id

    # The moderator previews the whole draft module, opens a question's feedback, and approves it.
    moderator_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    preview_url = reverse("wagtailadmin_pages:workflow_preview", args=[module.pk, task_id])
    _sign_in_staff(moderator_page, base, moderator, preview_url)
    content = moderator_page.content()
    assert "This is a preview. Nothing you do here is recorded." in content
    assert NEW_SECTION in content
    assert moderator_page.get_by_text("Question 5.1").is_visible()
    _assert_accessible(moderator_page)
    moderator_page.screenshot(path=str(SHOTS / "whole-module-preview-1280.png"), full_page=True)
    # The question works: the approver answers it and reads what a learner would.
    moderator_page.get_by_label("Right").check()
    moderator_page.get_by_role("button", name="Check your answer").click()
    expect(moderator_page.get_by_text("Feedback: Right")).to_be_visible()
    expect(moderator_page.get_by_role("heading", name="Correct")).to_be_visible()
    _assert_accessible(moderator_page)
    moderator_page.screenshot(path=str(SHOTS / "whole-module-preview-feedback-1280.png"), full_page=True)
    moderator_page.set_viewport_size({"width": 390, "height": 844})
    _assert_accessible(moderator_page)
    moderator_page.screenshot(path=str(SHOTS / "whole-module-preview-390.png"), full_page=True)
    moderator_page.set_viewport_size({"width": 1280, "height": 900})

    moderator_page.goto(base + reverse("wagtailadmin_pages:edit", args=[module.pk]))
    _footer_action(moderator_page, "Approve and Publish")
    for _ in range(100):  # the approval's request may still be running
        draft.refresh_from_db()
        if draft.live:
            break
        moderator_page.wait_for_timeout(100)
    assert draft.live
    version = current_version(module)
    assert version.number == done_version + 1
    assert version.published_by == moderator
    assert str(draft.pk) in version.revisions

    # The learner sees the new version; their record keeps the version they completed.
    learner_page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    learner_page.context.add_cookies([
        {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base},
    ])
    learner_page.goto(base + module.url)
    assert NEW_SECTION in learner_page.content()
    _assert_accessible(learner_page)
    learner_page.screenshot(path=str(SHOTS / "learner-module-after-sign-off.png"), full_page=True)
    learner_page.goto(base + reverse("learning:record"))
    assert f"(version {done_version})" in learner_page.content()
    _assert_accessible(learner_page)
    learner_page.screenshot(path=str(SHOTS / "learner-record-keeps-its-version.png"), full_page=True)
    assert ModuleCompletion.objects.get(user=member.user).module_version == done_version


def test_an_admin_proposes_a_structure_change_is_refused_a_delete_and_retires_a_section(live_server, browser):
    module = build_module(slug="team", sections=[(1, 0), (1, 0), (1, 0)])
    ensure_permissions_exist()
    apply_group_policy()
    admin = staff_user(ADMIN, email="admin@example.org")
    first, second, third = sections_of(module)
    client = Client()
    client.force_login(learner(email="learner@example.org").user)
    assert client.get(first.url).status_code == 200
    base = live_server.url
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()

    structure_url = reverse("modules_admin:structure", args=[module.pk])
    _sign_in_staff(page, base, admin, structure_url)
    # Again, without Wagtail's own "signed in" message (its green falls just short of 4.5:1).
    page.reload()
    _assert_accessible(page)
    page.get_by_label(f"Position of “{third.title}”").fill("1")
    page.get_by_label(f"Position of “{first.title}”").fill("2")
    page.get_by_label(f"Position of “{second.title}”").fill("3")
    page.get_by_role("button", name="Propose this change").click()
    # The note is required: the form says so and changes nothing.
    expect(page.get_by_text("Describe the change").first).to_be_visible()
    _assert_accessible(page)
    page.get_by_label("What changed, and why?").fill("Summary first, as the reviewers asked.")
    page.get_by_role("button", name="Propose this change").click()
    page.wait_for_url(re.compile(r".*/admin/modules/structure-changes/\d+/$"))
    _assert_accessible(page)
    # Proposed, not applied: another moderator approves it (tests/modules/test_structure_proposal_browser.py).
    assert StructureProposal.objects.get().change_note == "Summary first, as the reviewers asked."
    assert [s.title for s in sections_of(module)] == ["Section 1", "Section 2", "Section 3"]

    page.goto(base + reverse("wagtailadmin_pages:delete", args=[first.pk]))
    assert page.get_by_text("1 learner has used it").is_visible()
    _assert_accessible(page)
    page.screenshot(path=str(SHOTS / "delete-refused.png"), full_page=True)
    page.get_by_role("link", name="Retire instead").click()
    page.wait_for_url(re.compile(r".*/admin/modules/\d+/retire/$"))
    _assert_accessible(page)
    page.get_by_label("Why is this being retired?").fill("Merged into section 3.")
    page.get_by_role("button", name="Yes, retire it").click()
    page.wait_for_url(re.compile(r".*/admin/pages/\d+/$"))
    first.refresh_from_db()
    assert first.is_retired
    assert not first.live
    page.goto(base + reverse("wagtailadmin_pages:edit", args=[first.pk]))
    assert page.get_by_text("Merged into section 3.").is_visible()
    _assert_accessible(page)

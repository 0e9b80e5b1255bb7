from __future__ import annotations

import pytest
from wagtail.models import GroupApprovalTask, Workflow, WorkflowState

from accounts.roles import EDITOR, MODERATOR
from modules.models import ModulePage
from modules.selectors import current_version, module_sections

from .factories import build_module, home_page, module_index, staff_user

pytestmark = pytest.mark.django_db

WORKFLOW = "Clinical sign-off"


def test_clinical_sign_off_is_one_moderator_approval_covering_every_module_page():
    workflow = Workflow.objects.get(name=WORKFLOW)
    tasks = [task.specific for task in workflow.tasks.all()]

    assert workflow.active
    assert len(tasks) == 1
    assert isinstance(tasks[0], GroupApprovalTask)
    assert [group.name for group in tasks[0].groups.all()] == [MODERATOR]

    module = build_module(sections=1)
    for page in (home_page().specific, module_index(), module, module_sections(module)[0]):
        assert page.get_workflow() == workflow


def test_a_module_goes_live_only_after_a_moderator_approves(django_capture_on_commit_callbacks):
    editor = staff_user(EDITOR)
    moderator = staff_user(MODERATOR)
    module = build_module(sections=0, publish_pages=False, summary="Draft summary")
    assert not module.permissions_for_user(editor).can_publish()
    assert module.permissions_for_user(moderator).can_publish()

    module.summary = "Summary for sign-off"
    module.save_revision(user=editor)
    workflow_state = module.get_workflow().start(module, editor)

    module.refresh_from_db()
    assert not module.live
    assert workflow_state.status == WorkflowState.STATUS_IN_PROGRESS
    task_state = workflow_state.current_task_state
    task = task_state.task.specific
    assert task.get_actions(module, editor) == []
    assert "approve" in {name for name, _, _ in task.get_actions(module, moderator)}
    assert current_version(module) is None

    with django_capture_on_commit_callbacks(execute=True):
        task.on_action(task_state, moderator, "approve")

    module = ModulePage.objects.get(pk=module.pk)
    workflow_state.refresh_from_db()
    assert workflow_state.status == WorkflowState.STATUS_APPROVED
    assert module.live
    assert module.summary == "Summary for sign-off"
    version = current_version(module)
    assert version.number == 1
    assert version.published_by == moderator


def test_a_moderator_can_send_a_module_back_for_changes():
    editor = staff_user(EDITOR)
    moderator = staff_user(MODERATOR)
    module = build_module(sections=0, publish_pages=False)
    module.save_revision(user=editor)
    workflow_state = module.get_workflow().start(module, editor)
    task_state = workflow_state.current_task_state

    task_state.task.specific.on_action(task_state, moderator, "reject")

    module.refresh_from_db()
    workflow_state.refresh_from_db()
    assert workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES
    assert not module.live

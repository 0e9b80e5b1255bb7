"""Knowledge-check answers by POST, resource downloads and the completion page."""

from __future__ import annotations

import re
import uuid

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from accounts.roles import EDITOR
from learning.models import EventType, KnowledgeCheckAttempt, LearningEvent, ModuleCompletion, ProtocolDeviation
from practices.models import Arm

from .factories import (
    build_module,
    check_id,
    check_option_ids,
    document,
    learner,
    practice,
    resource_section_with_link,
    sections_of,
)

pytestmark = pytest.mark.django_db

TODAY = "2026-03-02 10:00:00+00:00"


def answer_url(section, block_id):
    return f"/learning/checks/{section.pk}/{block_id}/"


@pytest.fixture
def quiz_module():
    module = build_module(slug="quiz", sections=[(1, 0), (1, 1)], threshold=100, pass_mark=100)
    return module, *sections_of(module)


def csrf_token_from(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@time_machine.travel(TODAY, tick=False)
def test_answers_need_the_csrf_token_from_the_form():
    module = build_module(sections=[(1, 1)])
    (quiz,) = sections_of(module)
    member = learner()
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    right = check_option_ids(quiz, correct=True)
    assert client.post(answer_url(quiz, check_id(quiz)), {"answer": right}).status_code == 403
    assert KnowledgeCheckAttempt.objects.count() == 0
    token = csrf_token_from(client.get(quiz.url).content.decode())
    response = client.post(answer_url(quiz, check_id(quiz)), {"answer": right, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert KnowledgeCheckAttempt.objects.count() == 1


@time_machine.travel(TODAY, tick=False)
def test_wrong_then_right_keeps_every_attempt_and_shows_feedback(client, quiz_module):
    module, intro, quiz = quiz_module
    member = learner()
    client.force_login(member.user)
    client.get(intro.url)
    client.get(quiz.url)
    block_id = check_id(quiz)

    response = client.post(answer_url(quiz, block_id), {"answer": check_option_ids(quiz, correct=False)})
    assert response.status_code == 302
    assert response["Location"] == f"{quiz.url}#check-{block_id}"
    html = client.get(quiz.url).content.decode()
    assert "Not quite – have another go" in html
    assert "Feedback: Wrong" in html
    assert ModuleCompletion.objects.count() == 0

    client.post(answer_url(quiz, block_id), {"answer": check_option_ids(quiz, correct=True)})
    html = client.get(quiz.url).content.decode()
    assert "Correct" in html
    assert "Feedback: Right" in html
    assert "Feedback: Wrong" not in html
    # The chosen option stays selected so the learner sees what they answered.
    assert f'value="{check_option_ids(quiz, correct=True)[0]}" checked' in html

    attempts = list(KnowledgeCheckAttempt.objects.values_list("block_id", "is_correct"))
    assert attempts == [(block_id, False), (block_id, True)]
    assert LearningEvent.objects.filter(event_type=EventType.KNOWLEDGE_CHECK).count() == 2
    completion = ModuleCompletion.objects.get()
    assert completion.user == member.user
    html = client.get(f"/learning/complete/{module.slug}/").content.decode()
    assert "Module completed" in html
    assert 'href="/certificates/"' in html
    assert 'href="/learning/record/"' in html


@time_machine.travel(TODAY, tick=False)
def test_an_answer_with_nothing_chosen_shows_an_error_and_writes_nothing(client, quiz_module):
    _, _, quiz = quiz_module
    member = learner()
    client.force_login(member.user)
    client.get(quiz.url)
    events_before = LearningEvent.objects.count()
    block_id = check_id(quiz)
    response = client.post(answer_url(quiz, block_id), {})
    assert response["Location"] == f"{quiz.url}#error-summary"
    html = client.get(quiz.url).content.decode()
    assert "<title>Error: " in html
    assert 'class="nhsuk-error-summary"' in html
    assert f'<a href="#check-{block_id}-1">Choose an answer.</a>' in html
    assert "nhsuk-form-group--error" in html
    # Shown once: the next view is clean.
    assert "nhsuk-error-summary" not in client.get(quiz.url).content.decode()
    for bad in ({"answer": ["forged"]}, {"answer": check_option_ids(quiz, correct=True) + check_option_ids(quiz, correct=False)}):
        client.post(answer_url(quiz, block_id), bad)
    assert KnowledgeCheckAttempt.objects.count() == 0
    # Only the three page views after the first were added; no answer events.
    assert LearningEvent.objects.count() == events_before + 2
    assert not LearningEvent.objects.filter(event_type=EventType.KNOWLEDGE_CHECK).exists()


@time_machine.travel(TODAY, tick=False)
def test_unknown_questions_and_unpublished_sections_are_not_found(client, quiz_module):
    module, intro, quiz = quiz_module
    client.force_login(learner().user)
    assert client.post(answer_url(quiz, str(uuid.uuid4())), {"answer": ["x"]}).status_code == 404
    # A question id from another section does not count here either.
    assert client.post(answer_url(intro, check_id(quiz)), {"answer": ["x"]}).status_code == 404
    quiz.unpublish()
    assert client.post(answer_url(quiz, check_id(quiz)), {"answer": check_option_ids(quiz, correct=True)}).status_code == 404
    assert client.get(answer_url(intro, check_id(quiz))).status_code == 405
    assert KnowledgeCheckAttempt.objects.count() == 0


@time_machine.travel(TODAY, tick=False)
def test_people_who_cannot_open_the_module_cannot_answer_for_it(client, quiz_module):
    _, _, quiz = quiz_module
    right = {"answer": check_option_ids(quiz, correct=True)}
    anonymous = client.post(answer_url(quiz, check_id(quiz)), right)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/accounts/login/")
    control = learner(practice_=practice(arm=Arm.CONTROL))
    client.force_login(control.user)
    assert client.post(answer_url(quiz, check_id(quiz)), right).status_code == 403
    nobody = get_user_model().objects.create_user(email="nobody@example.org", password="a-Long-passw0rd")
    client.force_login(nobody)
    assert client.post(answer_url(quiz, check_id(quiz)), right).status_code == 403
    assert KnowledgeCheckAttempt.objects.count() == 0
    assert LearningEvent.objects.count() == 0
    assert ProtocolDeviation.objects.count() == 0


@time_machine.travel(TODAY, tick=False)
def test_staff_see_feedback_but_their_answers_are_not_recorded(client, quiz_module):
    _, _, quiz = quiz_module
    editor = get_user_model().objects.create_user(email="editor@example.org", password="a-Long-passw0rd")
    editor.groups.add(Group.objects.get_or_create(name=EDITOR)[0])
    client.force_login(editor)
    client.post(answer_url(quiz, check_id(quiz)), {"answer": check_option_ids(quiz, correct=False)})
    html = client.get(quiz.url).content.decode()
    assert "Feedback: Wrong" in html
    assert "Your answer was not recorded." in html
    assert KnowledgeCheckAttempt.objects.count() == 0
    assert LearningEvent.objects.count() == 0


@pytest.fixture
def resource_section():
    return resource_section_with_link()


@time_machine.travel(TODAY, tick=False)
def test_a_tracked_download_is_recorded_and_served(client, resource_section):
    module, section, plan, linked = resource_section
    member = learner()
    client.force_login(member.user)
    html = client.get(section.url).content.decode()
    download = f"/learning/resources/{section.pk}/{plan.pk}/"
    assert f'href="{download}"' in html
    response = client.get(download)
    # The file itself: its /documents/ address is for content staff only.
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 demo\n"
    event = LearningEvent.objects.get(event_type=EventType.RESOURCE_DOWNLOAD)
    assert (event.user, event.module_id, event.section_id, event.detail) == (
        member.user, module.pk, section.pk, {"document_id": plan.pk},
    )
    # A document linked from the section's text is a resource of it too.
    assert client.get(f"/learning/resources/{section.pk}/{linked.pk}/").status_code == 200
    assert LearningEvent.objects.filter(event_type=EventType.RESOURCE_DOWNLOAD).count() == 2


@time_machine.travel(TODAY, tick=False)
def test_a_document_not_in_the_section_is_not_found(client, resource_section):
    module, section, plan, _ = resource_section
    elsewhere = document(title="Unrelated", name="unrelated.pdf")
    other_section = sections_of(module)[0]
    client.force_login(learner().user)
    assert client.get(f"/learning/resources/{section.pk}/{elsewhere.pk}/").status_code == 404
    assert client.get(f"/learning/resources/{other_section.pk}/{plan.pk}/").status_code == 404
    assert client.get(f"/learning/resources/{section.pk}/999999/").status_code == 404
    assert not LearningEvent.objects.filter(event_type=EventType.RESOURCE_DOWNLOAD).exists()


@time_machine.travel(TODAY, tick=False)
def test_downloads_by_control_arm_learners_are_refused(client, resource_section):
    _, section, plan, _ = resource_section
    client.force_login(learner(practice_=practice(arm=Arm.CONTROL)).user)
    assert client.get(f"/learning/resources/{section.pk}/{plan.pk}/").status_code == 403
    assert LearningEvent.objects.count() == 0


@time_machine.travel(TODAY, tick=False)
def test_the_completion_page_lists_what_is_left(client, quiz_module):
    module, intro, quiz = quiz_module
    member = learner()
    client.force_login(member.user)
    client.get(intro.url)
    html = client.get(f"/learning/complete/{module.slug}/").content.decode()
    assert "You have not completed this module yet" in html
    assert f'href="{quiz.url}"' in html
    assert f'href="{intro.url}"' not in html.split("Sections still to complete")[1]
    assert client.get("/learning/complete/no-such-module/").status_code == 404
    control = learner(practice_=practice(arm=Arm.CONTROL))
    client.force_login(control.user)
    assert client.get(f"/learning/complete/{module.slug}/").status_code == 403
    assert ProtocolDeviation.objects.filter(user=control.user).count() == 1


@time_machine.travel(TODAY, tick=False)
def test_staff_downloads_are_served_but_not_recorded(client, resource_section):
    _, section, plan, _ = resource_section
    editor = get_user_model().objects.create_user(email="editor@example.org", password="a-Long-passw0rd")
    editor.groups.add(Group.objects.get_or_create(name=EDITOR)[0])
    client.force_login(editor)
    response = client.get(f"/learning/resources/{section.pk}/{plan.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert LearningEvent.objects.count() == 0

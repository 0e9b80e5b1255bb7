"""A section page is one shared shell per published revision, with each learner's own parts filled in."""

from __future__ import annotations

import re
import uuid

import pytest
import time_machine
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.test import Client

from practices.services import set_practice_lead

from .factories import build_module, check_id, check_option_ids, learner, sections_of

pytestmark = pytest.mark.django_db

TODAY = "2026-03-02 10:00:00+00:00"


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match, "no CSRF field on the page"
    return match.group(1)


@time_machine.travel(TODAY, tick=False)
def test_two_learners_each_see_only_their_own_name_answers_and_progress():
    module = build_module(slug="team", sections=[(1, 1), (1, 0), (1, 0)])
    section = sections_of(module)[0]
    first = learner(first_name="Ffion", last_name="Evans-Unique")
    second = learner(first_name="Gareth", last_name="Owen-Unique")
    one, two = Client(), Client()
    one.force_login(first.user)
    two.force_login(second.user)

    # The first learner answers the check wrongly and moves on, so their page differs from the second's.
    one.get(section.url)
    one.post(
        f"/learning/checks/{section.pk}/{check_id(section)}/",
        {"answer": check_option_ids(section, correct=False)},
    )
    for other in sections_of(module)[1:]:
        one.get(other.url)
    first_html = one.get(section.url).content.decode()
    second_html = two.get(section.url).content.decode()

    assert "Ffion Evans-Unique" in first_html
    assert "Gareth Owen-Unique" not in first_html
    assert "Gareth Owen-Unique" in second_html
    assert "Ffion Evans-Unique" not in second_html
    assert "1 of 3 sections" not in second_html
    assert "Feedback: Wrong" in first_html
    assert "Feedback: Wrong" not in second_html
    # Nothing of the shell's placeholders reaches a page.
    assert "\x1d" not in first_html
    assert "\x1d" not in second_html


@time_machine.travel(TODAY, tick=False)
def test_each_view_carries_a_working_csrf_token_for_its_own_session():
    module = build_module(slug="team", sections=[(1, 1), (1, 0)])
    section = sections_of(module)[0]
    member = learner()
    client = Client(enforce_csrf_checks=True)
    client.force_login(member.user)
    client.get(section.url)  # fills the shell
    html = client.get(section.url).content.decode()
    response = client.post(
        f"/learning/checks/{section.pk}/{check_id(section)}/",
        {"answer": check_option_ids(section, correct=True), "csrfmiddlewaretoken": csrf_from(html)},
    )
    assert response.status_code == 302
    other = Client(enforce_csrf_checks=True)
    other.force_login(learner().user)
    other.get(section.url)
    # The sign-out form carries this session's token, not one from the learner who filled the shell.
    assert csrf_from(other.get(section.url).content.decode()) != csrf_from(html)


@time_machine.travel(TODAY, tick=False)
def test_a_published_change_reaches_the_next_view():
    module = build_module(slug="team", sections=[(1, 0), (1, 0)])
    section = sections_of(module)[0]
    client = Client()
    client.force_login(learner().user)
    assert "Section 1 text." in client.get(section.url).content.decode()

    section.title = "Spotting poor control"
    section.body = [{"type": "rich_text", "value": "<p>Revised guidance text.</p>", "id": str(uuid.uuid4())}]
    section.save_revision().publish()

    html = client.get(section.url).content.decode()
    assert "Revised guidance text." in html
    assert "Section 1 text." not in html
    assert "Spotting poor control" in html


@time_machine.travel(TODAY, tick=False)
def test_links_follow_the_viewers_role_not_the_first_viewers():
    module = build_module(slug="team", sections=[(1, 0)])
    section = sections_of(module)[0]
    lead = learner(first_name="Lead")
    set_practice_lead(membership=lead, is_lead=True)
    member = learner(practice_=lead.practice)
    as_lead, as_member = Client(), Client()
    as_lead.force_login(lead.user)
    as_member.force_login(member.user)
    assert "My practice" in as_lead.get(section.url).content.decode()
    assert "My practice" not in as_member.get(section.url).content.decode()


@time_machine.travel(TODAY, tick=False)
def test_a_message_is_shown_once_on_the_next_section_view(rf):
    module = build_module(slug="team", sections=[(1, 0)])
    section = sections_of(module)[0]
    client = Client()
    client.force_login(learner().user)
    client.get(section.url)
    # A message left by an earlier response, as Django's cookie storage carries it.
    client.cookies["messages"] = CookieStorage(rf.get("/"))._encode([Message(constants.SUCCESS, "Your answers were saved.")])
    assert "Your answers were saved." in client.get(section.url).content.decode()
    assert "Your answers were saved." not in client.get(section.url).content.decode()


def check_form(html: str, block_id: str) -> str:
    match = re.search(rf'<section[^>]*id="check-{block_id}".*?</section>', html, flags=re.DOTALL)
    assert match, "no knowledge check on the page"
    return match.group(0)


@time_machine.travel(TODAY, tick=False)
def test_a_check_shows_each_learner_their_own_answer_and_their_own_sessions_token():
    module = build_module(slug="team", sections=[(1, 1), (1, 0)])
    section = sections_of(module)[0]
    block = check_id(section)
    wrong, right, fresh = (Client(enforce_csrf_checks=True) for _ in range(3))
    for client in (wrong, right, fresh):
        client.force_login(learner().user)

    def answer(client: Client, *, correct: bool) -> None:
        html = client.get(section.url).content.decode()
        response = client.post(
            f"/learning/checks/{section.pk}/{block}/",
            {"answer": check_option_ids(section, correct=correct), "csrfmiddlewaretoken": csrf_from(check_form(html, block))},
        )
        assert response.status_code == 302

    answer(wrong, correct=False)
    answer(right, correct=True)
    # Views after the first of each kind reuse the check rendered for that answer.
    wrong_check = check_form(wrong.get(section.url).content.decode(), block)
    right_check = check_form(right.get(section.url).content.decode(), block)
    fresh_check = check_form(fresh.get(section.url).content.decode(), block)
    assert "Feedback: Wrong" in wrong_check
    assert "Not quite" in wrong_check
    assert "Feedback: Wrong" not in right_check
    assert ">Correct<" in right_check
    assert "Check your answer" in fresh_check
    assert "Feedback" not in fresh_check
    assert " checked" not in fresh_check
    assert "\x1d" not in wrong_check + right_check + fresh_check
    # The form on the page carries the viewer's own token: a second answer with it is accepted.
    answer(wrong, correct=True)
    assert ">Correct<" in check_form(wrong.get(section.url).content.decode(), block)
    answer(fresh, correct=False)
    assert "Feedback: Wrong" in check_form(fresh.get(section.url).content.decode(), block)

"""The learner journey through the module pages: who may open them, what each view records."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import RequestFactory

from accounts.roles import EDITOR
from learning.models import EventType, LearningEvent, ModuleProgress, ProtocolDeviation
from practices.models import Arm

from .factories import build_module, learner, module_index, practice, sections_of

pytestmark = pytest.mark.django_db

TODAY = "2026-03-02 10:00:00+00:00"


def signed_in(client, user):
    client.force_login(user)
    return client


def editor_without_practice():
    user = get_user_model().objects.create_user(email="editor@example.org", password="a-Long-passw0rd")
    user.groups.add(Group.objects.get_or_create(name=EDITOR)[0])
    return user


@pytest.fixture
def team():
    return build_module(slug="team", sections=[(1, 0), (1, 1), (1, 0)])


@pytest.mark.parametrize("which", ["index", "module", "section"])
def test_anonymous_visitors_are_sent_to_sign_in(client, team, which):
    url = {"index": "/modules/", "module": team.url, "section": sections_of(team)[0].url}[which]
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"
    assert LearningEvent.objects.count() == 0


@time_machine.travel(TODAY, tick=False)
def test_a_tracked_learner_is_recorded_and_sees_their_progress(client, team):
    member = learner(role="practice_nurse")
    first, second, third = sections_of(team)
    signed_in(client, member.user)

    response = client.get(team.url)
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    assert "Start the module" in html
    assert "nhsuk-task-list" in html
    assert html.count("Not started") == 3

    response = client.get(second.url)
    html = response.content.decode()
    assert "Section 2 of 3" in html
    assert f'href="{first.url}" rel="prev"' in html
    assert f'href="{third.url}" rel="next"' in html
    # The section has a knowledge check not yet answered, so it is not yet completed.
    assert "You have completed 0 of 3 sections (0% of the module)." in html

    events = list(LearningEvent.objects.values_list("event_type", "section_id", "role", "practice_id", "visit_number"))
    assert events == [
        (EventType.MODULE_VIEW, None, "practice_nurse", member.practice_id, 1),
        (EventType.SECTION_VIEW, second.pk, "practice_nurse", member.practice_id, 1),
    ]

    html = client.get(team.url).content.decode()
    assert "Continue where you left off" in html
    assert f'href="{second.url}"' in html


@time_machine.travel(TODAY, tick=False)
def test_the_learners_context_reaches_each_page_as_an_argument_not_on_the_request(client, team):
    member = learner()
    signed_in(client, member.user)
    for url in ("/modules/", team.url, sections_of(team)[0].url):
        response = client.get(url)
        assert response.status_code == 200
        # The gate passes the learner's context down the serve chain; nothing is left on the request.
        assert not hasattr(response.wsgi_request, "learning")
        if url == sections_of(team)[0].url:
            # A section page is filled in from a shared shell: the learner's progress shows they are tracked.
            assert "site-progress" in response.content.decode()
        else:
            assert response.context["learning"].is_tracked
    assert LearningEvent.objects.count() == 2


@time_machine.travel(TODAY, tick=False)
def test_the_module_index_shows_each_modules_status(client, team):
    in_depth = build_module(slug="in-depth", kind="in_depth", sections=[(1, 0), (1, 0)])
    other = build_module(slug="other", sections=[(1, 0)])
    member = learner()
    signed_in(client, member.user)
    client.get(sections_of(in_depth)[0].url)
    client.get(sections_of(other)[0].url)
    html = client.get("/modules/").content.decode()
    assert html.count("Not started") == 1
    assert "In progress 50%" in html
    assert "Completed" in html
    assert "on 2 March 2026" in html


@time_machine.travel(TODAY, tick=False)
def test_staff_without_a_practice_read_modules_and_nothing_is_recorded(client, team):
    signed_in(client, editor_without_practice())
    for url in ("/modules/", team.url, sections_of(team)[1].url):
        response = client.get(url)
        assert response.status_code == 200
        assert "You are viewing as an editor; nothing is recorded." in response.content.decode()
    assert LearningEvent.objects.count() == 0
    assert ModuleProgress.objects.count() == 0


@time_machine.travel(TODAY, tick=False)
def test_a_control_arm_learner_gets_an_explanation_and_a_protocol_deviation_not_an_access(client, team):
    member = learner(practice_=practice(arm=Arm.CONTROL))
    signed_in(client, member.user)
    section = sections_of(team)[0]
    response = client.get(section.url)
    assert response.status_code == 403
    html = response.content.decode()
    assert "usual-care (control) arm" in html
    assert "has not counted as using the module" in html
    deviation = ProtocolDeviation.objects.get()
    assert (deviation.user, deviation.practice, deviation.module_id, deviation.section_id, deviation.path) == (
        member.user, member.practice, team.pk, section.pk, section.url,
    )
    assert client.get(team.url).status_code == 403
    assert ProtocolDeviation.objects.count() == 2
    # The module list names no module, so it is refused without a deviation.
    assert client.get("/modules/").status_code == 403
    assert ProtocolDeviation.objects.count() == 2
    assert LearningEvent.objects.count() == 0
    assert ModuleProgress.objects.count() == 0


@time_machine.travel(TODAY, tick=False)
def test_after_withdrawal_a_learner_may_read_but_nothing_is_recorded(client, team):
    withdrawn = practice(withdrawn_on=date(2026, 3, 1), withdrawal_data_choice="retain", withdrawal_reason="Workload")
    member = learner(practice_=withdrawn)
    signed_in(client, member.user)
    response = client.get(sections_of(team)[0].url)
    assert response.status_code == 200
    assert "Your practice withdrew from the trial on 1 March 2026; your activity is no longer recorded." in (
        response.content.decode()
    )
    assert LearningEvent.objects.count() == 0


@time_machine.travel(TODAY, tick=False)
def test_a_learner_without_a_practice_is_told_how_to_join(client, team):
    user = get_user_model().objects.create_user(email="new@example.org", password="a-Long-passw0rd")
    signed_in(client, user)
    for url in ("/modules/", team.url, sections_of(team)[0].url):
        response = client.get(url)
        assert response.status_code == 403
        assert 'href="/join/"' in response.content.decode()
    assert LearningEvent.objects.count() == 0
    assert ProtocolDeviation.objects.count() == 0


@time_machine.travel(TODAY, tick=False)
def test_a_learner_whose_membership_has_ended_is_not_tracked(client, team):
    member = learner()
    member.ended_on = date(2026, 2, 1)
    member.save()
    signed_in(client, member.user)
    assert client.get(team.url).status_code == 403
    assert LearningEvent.objects.count() == 0


@time_machine.travel(TODAY, tick=False)
def test_previews_record_nothing_even_for_a_tracked_learner(client, team):
    member = learner()
    signed_in(client, member.user)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    original = RequestFactory().get("/", HTTP_COOKIE=cookie)
    section = sections_of(team)[1]
    for page in (module_index(), team, section):
        response = page.make_preview_request(original_request=original)
        assert response.status_code == 200
        assert "This is a preview. Nothing you do here is recorded." in response.content.decode()
    # A draft edit shows in the preview, not the cached live body.
    section.title = "Draft title"
    draft = section.save_revision()
    preview = draft.as_object().make_preview_request(original_request=original).content.decode()
    assert "Draft title" in preview
    assert "Answers cannot be sent from a preview." in preview
    assert LearningEvent.objects.count() == 0
    assert ModuleProgress.objects.count() == 0


@time_machine.travel(TODAY, tick=False)
def test_published_changes_show_at_once_despite_the_caches(client, team):
    member = learner()
    signed_in(client, member.user)
    first, second, third = sections_of(team)
    assert "Section 1 text." in client.get(first.url).content.decode()
    assert f'href="{second.url}"' in client.get(team.url).content.decode()

    # A new revision of the body replaces the cached rendering.
    first.body = [{"type": "rich_text", "value": "<p>Corrected text.</p>", "id": "c0rrected"}]
    first.save_revision().publish()
    html = client.get(first.url).content.decode()
    assert "Corrected text." in html
    assert "Section 1 text." not in html

    # A renamed slug and an unpublished section show in the module's section list straight away.
    second.slug = "renamed"
    second.save_revision().publish()
    third.unpublish()
    html = client.get(team.url).content.decode()
    assert 'href="/modules/team/renamed/"' in html
    assert third.url not in html
    assert "You have completed 1 of 2 sections" in html

"""A module is published and unpublished as one unit: no section of an unpublished module reaches a learner."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse
from wagtail.models import PageLogEntry

from accounts.roles import MODERATOR
from learning.models import KnowledgeCheckAttempt, LearningEvent
from modules.models import ModulePage, SectionPage
from tests.accounts.factories import sign_in_with_second_factor
from tests.learning.factories import build_module, check_id, check_option_ids, learner, sections_of

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

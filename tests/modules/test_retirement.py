"""Retire, don't delete: the admin counts what a delete or unpublish touches and refuses to delete used content.

Every path goes through the admin's own views with a signed-in member of staff (second factor
recorded), as an editor or moderator would use them. Runs on SQLite and, with DATABASE_URL, on
PostgreSQL (the `postgres` copies at the end).
"""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse
from wagtail.models import Page, PageLogEntry

from accounts.roles import ADMIN, EDITOR, MODERATOR
from learning.models import KnowledgeCheckAttempt, LearningEvent, ModuleCompletion
from modules.models import ModulePage, SectionPage
from tests.accounts.factories import sign_in_with_second_factor
from tests.learning.factories import build_module, learner, sections_of

from .factories import staff_user

pytestmark = pytest.mark.django_db

TODAY = "2026-03-02 10:00:00+00:00"


def _signed_in(client, *groups):
    user = staff_user(*groups)
    sign_in_with_second_factor(client, user)
    return user


@pytest.fixture
def used_module(client):
    """A module of three sections; one learner has opened the module and its first section."""
    module = build_module(slug="team", sections=[(1, 0), (1, 0), (1, 0)])
    member = learner()
    with time_machine.travel(TODAY, tick=False):
        client.force_login(member.user)
        assert client.get(module.url).status_code == 200
        assert client.get(sections_of(module)[0].url).status_code == 200
        client.logout()
    return module


def _recorded(n: int) -> str:
    return f"{n} recorded event{'' if n == 1 else 's'}"


def _events() -> int:
    return (
        LearningEvent.objects.count() + KnowledgeCheckAttempt.objects.count() + ModuleCompletion.objects.count()
    )


def test_deleting_a_used_section_is_refused_with_counts_and_an_offer_to_retire(client, used_module):
    _signed_in(client, MODERATOR)
    section = sections_of(used_module)[0]
    url = reverse("wagtailadmin_pages:delete", args=[section.pk])
    section_events = LearningEvent.objects.filter(section=section).count()
    assert section_events >= 1

    page = client.get(url)
    refused = client.post(url)

    assert page.status_code == 200
    html = page.content.decode()
    assert "cannot be deleted" in html
    assert f"1 learner has used it, with {_recorded(section_events)}" in html
    assert reverse("modules_admin:retire", args=[section.pk]) in html
    assert refused.status_code == 409
    assert "cannot be deleted" in refused.content.decode()
    assert SectionPage.objects.filter(pk=section.pk).exists()


def test_deleting_a_used_module_is_refused_never_a_server_error(client, used_module):
    # Deleting a page with children takes the Admin group's bulk delete permission.
    _signed_in(client, ADMIN)
    url = reverse("wagtailadmin_pages:delete", args=[used_module.pk])

    response = client.post(url)

    assert response.status_code == 409
    assert f"1 learner has used it, with {_recorded(_events())}" in response.content.decode()
    assert ModulePage.objects.filter(pk=used_module.pk).exists()


def test_deleting_the_module_index_above_used_modules_is_refused(client, used_module):
    _signed_in(client, ADMIN)
    index = used_module.get_parent()

    response = client.post(reverse("wagtailadmin_pages:delete", args=[index.pk]))

    assert response.status_code == 409
    assert Page.objects.filter(pk=index.pk).exists()


def test_an_editor_is_told_to_ask_a_moderator_to_retire(client, used_module):
    _signed_in(client, EDITOR)
    section = sections_of(used_module)[0]

    response = client.get(reverse("wagtailadmin_pages:delete", args=[section.pk]))

    # Editors may not delete pages at all in this site's permissions; either way, nothing is deleted
    # and no server error is shown.
    assert response.status_code in (200, 302, 403)
    assert SectionPage.objects.filter(pk=section.pk).exists()


def test_a_published_module_nobody_used_keeps_its_versions_and_is_not_deleted(client):
    module = build_module(slug="unused", sections=[(1, 0)])
    _signed_in(client, ADMIN)

    response = client.post(reverse("wagtailadmin_pages:delete", args=[module.pk]))

    assert response.status_code == 409
    html = response.content.decode()
    assert "module versions" in html
    assert ModulePage.objects.filter(pk=module.pk).exists()


def test_a_section_nobody_used_shows_no_activity_and_is_deleted(client, used_module):
    _signed_in(client, MODERATOR)
    unused = sections_of(used_module)[2]
    url = reverse("wagtailadmin_pages:delete", args=[unused.pk])

    page = client.get(url)
    deleted = client.post(url)

    assert page.status_code == 200
    assert "No learner has used this yet" in page.content.decode()
    assert deleted.status_code == 302
    assert not SectionPage.objects.filter(pk=unused.pk).exists()


def test_the_unpublish_page_counts_learners_and_events(client, used_module):
    _signed_in(client, MODERATOR)

    response = client.get(reverse("wagtailadmin_pages:unpublish", args=[used_module.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"1 learner has used this, with {_recorded(_events())}" in html
    assert "Its 3 live sections will be unpublished with it" in html


def test_retiring_needs_a_note(client, used_module):
    _signed_in(client, MODERATOR)

    response = client.post(reverse("modules_admin:retire", args=[used_module.pk]), {"note": "  "})

    assert response.status_code == 400
    assert "Say why this is being retired." in response.content.decode()
    used_module.refresh_from_db()
    assert used_module.live
    assert not used_module.is_retired


def test_retiring_a_module_unpublishes_it_with_its_sections_and_keeps_every_record(client, used_module):
    moderator = _signed_in(client, MODERATOR)
    before = _events()
    url = reverse("modules_admin:retire", args=[used_module.pk])

    page = client.get(url)
    response = client.post(url, {"note": "Replaced by the 2027 edition."})

    assert page.status_code == 200
    assert "1 learner has used this" in page.content.decode()
    assert response.status_code == 302
    module = ModulePage.objects.get(pk=used_module.pk)
    assert module.is_retired
    assert not module.live
    assert module.retired_by == moderator
    assert module.retirement_note == "Replaced by the 2027 edition."
    assert list(SectionPage.objects.child_of(module).live()) == []
    assert _events() == before
    assert PageLogEntry.objects.filter(page=module, action="modules.retire", user=moderator).exists()


def test_a_retired_page_cannot_be_edited_until_reinstated(client, used_module):
    _signed_in(client, MODERATOR)
    section = sections_of(used_module)[1]
    client.post(reverse("modules_admin:retire", args=[section.pk]), {"note": "Duplicated in section 3."})
    edit_url = reverse("wagtailadmin_pages:edit", args=[section.pk])

    frozen = client.get(edit_url)
    reinstated = client.post(reverse("modules_admin:reinstate", args=[section.pk]))
    editable = client.get(edit_url)

    assert "was retired on" in frozen.content.decode()
    assert "Duplicated in section 3." in frozen.content.decode()
    assert reinstated.status_code == 302
    section.refresh_from_db()
    assert not section.is_retired
    assert not section.live
    assert editable.status_code == 200
    assert "was retired on" not in editable.content.decode()


def test_publishing_an_old_revision_does_not_lift_a_retirement(used_module):
    section = sections_of(used_module)[1]
    revision = section.latest_revision
    moderator = staff_user(MODERATOR)
    from modules.services import retire_page

    retire_page(page=section, user=moderator, note="Out of date.")
    restored = SectionPage.objects.get(pk=section.pk).with_content_json(revision.content)

    assert restored.is_retired


def test_an_editor_cannot_retire(client, used_module):
    _signed_in(client, EDITOR)

    response = client.post(reverse("modules_admin:retire", args=[used_module.pk]), {"note": "No."})

    # Wagtail's admin answers a refused permission by sending the user to the dashboard with a message.
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    used_module.refresh_from_db()
    assert not used_module.is_retired


@pytest.mark.postgres
def test_on_postgresql_a_used_module_and_section_are_refused_and_retired(client, used_module):
    test_deleting_a_used_module_is_refused_never_a_server_error(client, used_module)
    client.logout()
    test_deleting_a_used_section_is_refused_with_counts_and_an_offer_to_retire(client, used_module)
    section = sections_of(used_module)[0]
    response = client.post(reverse("modules_admin:retire", args=[section.pk]), {"note": "Superseded."})
    assert response.status_code == 302
    assert SectionPage.objects.get(pk=section.pk).is_retired


def test_a_bulk_delete_from_the_explorer_is_refused_too(client, used_module):
    _signed_in(client, ADMIN)
    first, second, third = sections_of(used_module)
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "delete"])

    response = client.post(f"{url}?id={first.pk}&id={third.pk}", {})

    assert response.status_code == 409
    assert "cannot be deleted" in response.content.decode()
    assert SectionPage.objects.filter(pk__in=[first.pk, third.pk]).count() == 2

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from accounts.roles import EDITOR, PracticeRole
from modules.models import ModulePage
from tests.accounts.factories import sign_in_with_second_factor

from .factories import build_module, staff_user

pytestmark = pytest.mark.django_db


def _edit_form(module: ModulePage, audience_roles: list[str] | None = None, **changes) -> dict:
    data = {
        "title": module.title,
        "slug": module.slug,
        "kind": module.kind,
        "summary": module.summary,
        "introduction": rich_text(module.introduction or "<p>Introduction.</p>"),
        "estimated_minutes": str(module.estimated_minutes),
        "cpd_hours": str(module.cpd_hours),
        "completion_threshold": str(module.completion_threshold),
        "pass_mark": "" if module.pass_mark is None else str(module.pass_mark),
        "certificate_valid_months": "",
        "seo_title": "",
        "search_description": "",
        "go_live_at": "",
        "expire_at": "",
        "comments": inline_formset([]),
    }
    data.update(changes)
    form = nested_form_data(data)
    # A multiple choice posts one value per ticked box; nested_form_data would number them.
    form["audience_roles"] = audience_roles or []
    return form


@pytest.fixture
def admin_client(client):
    sign_in_with_second_factor(client, staff_user(superuser=True))
    return client


def test_edit_page_shows_audience_roles_as_checkboxes(admin_client):
    module = build_module(sections=0, audience_roles=["gp"])

    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[module.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    for value, label in PracticeRole.choices:
        assert f'type="checkbox" name="audience_roles" value="{value}"' in html
        assert label in html
    checked = re.findall(r'<input type="checkbox" name="audience_roles" value="(\w+)"[^>]*\bchecked\b', html)
    assert checked == ["gp"]
    form = response.context["form"]
    assert form["audience_roles"].value() == ["gp"]


def test_saving_a_draft_stores_chosen_roles_in_role_order(admin_client):
    module = build_module(sections=0)
    url = reverse("wagtailadmin_pages:edit", args=[module.pk])

    response = admin_client.post(url, _edit_form(module, audience_roles=["practice_nurse", "gp"]))

    assert response.status_code == 302, response.context["form"].errors if response.context else response
    module.refresh_from_db()
    assert module.get_latest_revision_as_object().audience_roles == ["gp", "practice_nurse"]
    assert module.audience_roles == []  # a draft leaves the live page alone
    assert module.has_unpublished_changes


def test_publishing_from_the_admin_stores_roles_on_the_live_page(admin_client):
    module = build_module(sections=0, audience_roles=["gp"])
    url = reverse("wagtailadmin_pages:edit", args=[module.pk])

    response = admin_client.post(
        url, _edit_form(module, audience_roles=["reception_admin", "hca"], **{"action-publish": "action-publish"})
    )

    assert response.status_code == 302
    module.refresh_from_db()
    assert module.audience_roles == ["hca", "reception_admin"]


def test_unticking_every_role_means_everyone(admin_client):
    module = build_module(sections=0, audience_roles=["gp"])
    url = reverse("wagtailadmin_pages:edit", args=[module.pk])

    admin_client.post(url, _edit_form(module, **{"action-publish": "action-publish"}))

    module.refresh_from_db()
    assert module.audience_roles == []


def test_an_unknown_role_is_refused_with_a_clear_error(admin_client):
    module = build_module(sections=0, audience_roles=["gp"])
    revisions = module.revisions.count()
    url = reverse("wagtailadmin_pages:edit", args=[module.pk])

    response = admin_client.post(url, _edit_form(module, audience_roles=["gp", "surgeon"]))

    assert response.status_code == 200
    errors = response.context["form"].errors["audience_roles"]
    assert errors == ["Select a valid choice. surgeon is not one of the available choices."]
    assert module.revisions.count() == revisions


def test_an_editor_with_mfa_can_edit_but_not_publish_a_module(client):
    editor = staff_user(EDITOR)
    module = build_module(sections=0)
    sign_in_with_second_factor(client, editor)
    url = reverse("wagtailadmin_pages:edit", args=[module.pk])

    assert client.get(url).status_code == 200
    response = client.post(url, _edit_form(module, audience_roles=["gp"]))

    assert response.status_code == 302
    module.refresh_from_db()
    assert module.get_latest_revision_as_object().audience_roles == ["gp"]
    assert not module.permissions_for_user(editor).can_publish()


def test_module_versions_are_listed_read_only_for_admin_users(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        module = build_module(sections=1, title="Versioned module")
    version = module.versions.get()
    sign_in_with_second_factor(client, staff_user(EDITOR))

    listing = client.get(reverse("module_versions:index"))
    inspect = client.get(reverse("module_versions:inspect", args=[version.pk]))

    assert listing.status_code == 200
    assert "Versioned module" in listing.content.decode()
    assert inspect.status_code == 200
    assert version.content_hash in inspect.content.decode()
    assert client.get(reverse("module_versions:edit", args=[version.pk])).status_code == 302
    assert client.get(reverse("module_versions:add")).status_code == 302
    assert client.post(reverse("module_versions:delete", args=[version.pk])).status_code == 302
    assert module.versions.count() == 1


def test_module_versions_are_hidden_from_learners(client):
    from django.contrib.auth import get_user_model

    learner = get_user_model().objects.create_user(email="learner@example.org", password="a-Long-passw0rd")
    client.force_login(learner)
    response = client.get(reverse("module_versions:index"))
    assert response.status_code == 403

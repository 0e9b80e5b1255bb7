"""Editors' polish: plain-English block names, help text on every module field, sections in learner
order in the explorer, readable knowledge-check comparisons, and staff landing on the admin dashboard."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.db import models
from django.urls import reverse
from wagtail.models import Page

from accounts.roles import EDITOR, LEARNER
from modules.blocks import SectionBodyBlock
from modules.models import ModuleIndexPage, ModulePage, SectionPage
from modules.selectors import module_sections
from tests.accounts.factories import PASSWORD, TOTP_SECRET, make_user, sign_in_with_second_factor
from tests.accounts.factories import staff_user as accounts_staff_user

from .factories import build_module, knowledge_check, publish, staff_user

pytestmark = pytest.mark.django_db


def test_every_block_an_editor_can_add_has_a_plain_english_name():
    labels = {name: str(block.label) for name, block in SectionBodyBlock().child_blocks.items()}
    assert labels == {
        "rich_text": "Text",
        "figure": "Image",
        "video": "Video",
        "care_card": "Care card (non-urgent, urgent or emergency advice)",
        "inset_text": "Inset text (a highlighted paragraph)",
        "warning_callout": "Warning",
        "do_list": "Do list",
        "dont_list": "Don't list",
        "details": "Expandable details",
        "resource": "Downloadable resource",
        "knowledge_check": "Knowledge check",
        "reflection_prompt": "Reflection prompt",
    }
    check = SectionBodyBlock().child_blocks["knowledge_check"]
    assert str(check.child_blocks["kind"].label) == "Type of question"
    assert str(check.child_blocks["options"].label) == "Answer options"


@pytest.mark.parametrize("page_type", [ModuleIndexPage, ModulePage, SectionPage])
def test_every_field_an_editor_fills_in_has_help_text(page_type):
    own_fields = [
        field for field in page_type._meta.get_fields(include_parents=False)
        if isinstance(field, models.Field) and field.editable and not field.auto_created
        and not isinstance(field, models.OneToOneField)
    ]
    assert own_fields
    missing = [field.name for field in own_fields if not str(field.help_text).strip()]
    assert missing == []


def test_the_edit_form_shows_the_help_for_kind_and_estimated_minutes(client):
    module = build_module(sections=0)
    sign_in_with_second_factor(client, staff_user(EDITOR))
    page = client.get(reverse("wagtailadmin_pages:edit", args=[module.pk])).content.decode()
    assert "Which of the programme&#x27;s modules this is (team or in-depth)" in page
    assert "About how long the whole module takes, in minutes" in page


def test_the_explorer_lists_a_modules_sections_in_the_order_learners_take_them(client):
    module = build_module(sections=3)
    # Edit the first section last: Wagtail's default order (latest edit first) would put it on top.
    first = module_sections(module)[0]
    first.title = "Section 1 (revised)"
    publish(first)
    sign_in_with_second_factor(client, staff_user(EDITOR))

    listing = client.get(reverse("wagtailadmin_explore", args=[module.pk])).content.decode()

    titles = [t for t in re.findall(r"Section \d(?: \(revised\))?", listing) if t]
    order = list(dict.fromkeys(titles))
    assert order == ["Section 1 (revised)", "Section 2", "Section 3"]


def test_comparing_two_revisions_of_a_knowledge_check_reads_as_plain_english(client):
    module = build_module(sections=0)
    section = module.add_child(instance=SectionPage(
        title="Check", slug="check", live=False,
        body=[knowledge_check("Which inhaler relieves symptoms?", [("Blue reliever", True), ("Brown preventer", False)])],
    ))
    first = section.save_revision()
    first.publish()
    section = SectionPage.objects.get(pk=section.pk)
    raw = list(section.body.raw_data)
    raw[0]["value"]["kind"] = "multiple"
    raw[0]["value"]["options"][1]["value"]["is_correct"] = True
    section.body = raw
    second = section.save_revision()
    sign_in_with_second_factor(client, staff_user(EDITOR))

    url = reverse("wagtailadmin_pages:revisions_compare", args=[section.pk, first.pk, second.pk])
    html = client.get(url).content.decode()

    # The question type by its label, changed word by word; the tick box as "No" becoming "Yes".
    assert (
        '<dt>Type of question</dt>\n    <dd><span class="deletion">Single</span><span class="addition">Multiple</span> '
        'choice (<span class="deletion">radio buttons)</span><span class="addition">checkboxes)</span></dd>'
    ) in html
    assert "<dt>Correct answer</dt>\n    <dd>Yes</dd>" in html
    assert '<dt>Correct answer</dt>\n    <dd><span class="deletion">No</span><span class="addition">Yes</span></dd>' in html
    assert "True" not in html.split("comparison")[-1]
    assert ">single<" not in html


def _code() -> str:
    return format_hotp_value(hotp_value(TOTP_SECRET, next(iter(yield_hotp_counters_from_time()))))


def test_staff_land_on_the_admin_dashboard_after_signing_in(client):
    editor = accounts_staff_user(EDITOR)
    response = client.post(reverse("account_login"), {"login": editor.email, "password": PASSWORD})
    assert response["Location"] == reverse("mfa_authenticate")
    response = client.post(reverse("mfa_authenticate"), {"code": _code()})
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
    assert client.get(response["Location"]).status_code == 200


def test_a_link_into_the_site_still_wins_over_the_dashboard(client):
    editor = accounts_staff_user(EDITOR)
    client.post(reverse("account_login") + "?next=/practice/", {"login": editor.email, "password": PASSWORD})
    response = client.post(reverse("mfa_authenticate"), {"code": _code()})
    assert response["Location"] == "/practice/"


def test_learners_keep_landing_on_the_home_page(client):
    learner = make_user(groups=(LEARNER,))
    response = client.post(reverse("account_login"), {"login": learner.email, "password": PASSWORD})
    assert response["Location"] == "/"


def test_only_a_modules_children_change_their_order_in_the_explorer():
    # The admin ordering applies to a module's children only; the tree's other pages keep Wagtail's default.
    assert ModulePage.admin_default_ordering == "ord"
    assert ModuleIndexPage.get_admin_default_ordering(ModuleIndexPage()) == Page.admin_default_ordering

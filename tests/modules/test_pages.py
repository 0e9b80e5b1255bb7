from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from wagtail.models import Page

from content.models import HomePage, StandardPage
from modules.models import ModuleIndexPage, ModulePage, SectionPage
from modules.selectors import knowledge_checks, live_modules, module_sections
from modules.structure import (
    completion_targets,
    knowledge_check_ids,
    module_structure,
    section_module,
    section_module_id,
)

from .factories import build_module, home_page, module_index, publish

pytestmark = pytest.mark.django_db


def test_page_types_nest_index_module_section_only():
    home = home_page().specific
    index = module_index()
    module = build_module(sections=1)
    section = module_sections(module)[0]

    assert isinstance(home, HomePage)
    # The module index sits directly under a site's home page, not at the tree's root.
    assert ModuleIndexPage.can_exist_under(home)
    assert not ModuleIndexPage.can_exist_under(Page.get_first_root_node())
    assert ModulePage.allowed_parent_page_models() == [ModuleIndexPage]
    assert SectionPage.allowed_parent_page_models() == [ModulePage]
    assert ModuleIndexPage.allowed_subpage_models() == [ModulePage]
    assert ModulePage.allowed_subpage_models() == [SectionPage]
    assert SectionPage.allowed_subpage_models() == []

    assert ModulePage.can_create_at(index)
    assert not ModulePage.can_create_at(home)
    assert SectionPage.can_create_at(module)
    assert not SectionPage.can_create_at(index)
    assert not SectionPage.can_create_at(section)
    assert not StandardPage.can_create_at(module)
    # One module index per site.
    assert not ModuleIndexPage.can_create_at(home)


def test_sections_follow_tree_order_and_reordering_changes_it():
    module = build_module(sections=3)
    first, second, third = module_sections(module)
    assert [s.title for s in (first, second, third)] == ["Section 1", "Section 2", "Section 3"]

    third.move(first, pos="left")

    assert [s.title for s in module_sections(module)] == ["Section 3", "Section 1", "Section 2"]


def test_module_sections_lists_only_live_sections_in_one_query(django_assert_num_queries):
    module = build_module(sections=3)
    draft = module.add_child(instance=SectionPage(title="Draft", slug="draft", live=False))
    module_sections(module)[0].unpublish()

    with django_assert_num_queries(1):
        sections = module_sections(module)

    assert [s.title for s in sections] == ["Section 2", "Section 3"]
    assert draft.pk not in {s.pk for s in sections}


def test_live_modules_and_section_module():
    module = build_module(sections=1)
    build_module(sections=0, publish_pages=False, title="Unpublished")
    section = module_sections(module)[0]

    assert live_modules(module_index()) == [module]
    assert section_module(section) == module
    assert section_module_id(section) == module.pk
    module.unpublish()
    assert section_module(section) == module
    assert section_module(section, live=True) is None


def test_knowledge_check_selectors_return_stable_block_ids():
    module = build_module(sections=2, checks_per_section=2)
    first = module_sections(module)[0]

    checks = knowledge_checks(first)

    assert [value["question"] for _, value in checks] == ["Question 1.1?", "Question 1.2?"]
    raw_ids = {item["id"] for item in first.body.raw_data if item["type"] == "knowledge_check"}
    assert {block_id for block_id, _ in checks} == raw_ids
    assert knowledge_check_ids(first) == tuple(block_id for block_id, _ in checks)
    all_ids = module_structure(module).check_ids
    assert len(all_ids) == 4
    assert raw_ids <= all_ids
    # Option ids survive a reload from the database.
    option_ids = [b.id for b in checks[0][1]["options"].bound_blocks]
    reloaded = SectionPage.objects.get(pk=first.pk)
    assert [b.id for b in knowledge_checks(reloaded)[0][1]["options"].bound_blocks] == option_ids
    assert all(option_ids)


def test_structure_carries_the_modules_targets_as_numbers():
    module = build_module(sections=2, completion_threshold=75, pass_mark=60)

    structure = module_structure(module)

    assert completion_targets(module) == structure.targets
    assert (structure.targets.threshold, structure.targets.pass_mark) == (75, 60)
    assert [info.number for info in structure.sections] == [1, 2]
    assert structure.weights == {info.id: 1 for info in structure.sections}


def test_module_context_lists_its_live_sections_in_order():
    module = build_module(sections=3)
    first, second, third = module_sections(module)
    request = RequestFactory().get(module.url)

    assert [s.pk for s in module.get_context(request)["sections"]] == [first.pk, second.pk, third.pk]


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        (["gp", "surgeon"], "Unknown practice role(s): surgeon."),
        (["gp", "gp"], "Each practice role may be listed only once."),
        ("gp", "Audience roles must be a list of practice roles."),
    ],
)
def test_audience_roles_must_be_known_practice_roles(roles, message):
    module = build_module(sections=0)
    assert module.live
    module.audience_roles = roles

    with pytest.raises(ValidationError) as excinfo:
        module.save()
    assert excinfo.value.message_dict["audience_roles"] == [message]
    with pytest.raises(ValidationError):
        module.save_revision()

    module.refresh_from_db()
    assert module.audience_roles == []
    assert module.revisions.count() == 1


def test_audience_helpers():
    module = build_module(sections=0, audience_roles=["gp", "practice_nurse"])
    assert module.audience_role_labels() == ["GP", "Practice nurse"]
    assert module.is_for_role("gp")
    assert not module.is_for_role("reception_admin")
    everyone = build_module(sections=0)
    assert everyone.is_for_role("reception_admin")


def test_search_finds_modules_and_sections_by_their_text():
    module = build_module(sections=0, summary="Inhaler technique for the whole team.")
    section = module.add_child(instance=SectionPage(
        title="Peak flow", slug="peak-flow", live=False,
        body=[{"type": "rich_text", "value": "<p>Spacers and nebulisers explained.</p>"}],
    ))
    publish(section)

    assert list(ModulePage.objects.live().search("inhaler")) == [module]
    assert [p.pk for p in SectionPage.objects.live().search("nebulisers")] == [section.pk]

from __future__ import annotations

import io
import uuid

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.test import RequestFactory
from wagtail.documents import get_document_model
from wagtail.models import Collection, Page, Revision

from demo import module_content as demo_content
from demo.modules import _ID_NAMESPACE, seed_demo_modules
from modules.models import ModuleIndexPage, ModulePage, ModuleVersion
from modules.resources import MODULE_RESOURCES_COLLECTION
from modules.selectors import current_version, knowledge_checks, module_sections
from tests.modules.factories import home_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo_modules()


def _counts() -> dict[str, int]:
    return {
        "pages": Page.objects.count(),
        "revisions": Revision.objects.count(),
        "versions": ModuleVersion.objects.count(),
        "documents": get_document_model().objects.count(),
        "collections": Collection.objects.count(),
    }


def test_seeding_twice_changes_nothing(django_capture_on_commit_callbacks):
    first, second = io.StringIO(), io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        seed_demo_modules(stdout=first)
    after_first = _counts()
    latest_revision = Revision.objects.order_by("-pk").values_list("pk", flat=True).first()

    with django_capture_on_commit_callbacks(execute=True):
        seed_demo_modules(stdout=second)

    assert _counts() == after_first
    assert Revision.objects.order_by("-pk").values_list("pk", flat=True).first() == latest_revision
    assert all(f"{module.url} " in first.getvalue() for module in ModulePage.objects.all())
    assert "Created" not in second.getvalue()


def test_both_demo_modules_are_served_under_modules(seeded):
    home = home_page().specific
    request = RequestFactory().get("/")
    for slug in ("team", "in-depth"):
        module = ModulePage.objects.get(slug=slug)
        assert module.live
        assert module.get_url() == f"/modules/{slug}/"
        routed, _, _ = home.route(request, ["modules", slug])
        assert routed.specific == module
        assert current_version(module).number == 1
    index = ModuleIndexPage.objects.get()
    assert index.get_url() == "/modules/"
    assert index.title == "Modules"


def test_the_demo_modules_exercise_what_the_pages_show(seeded):
    """Both kinds of module, a pass mark, both kinds of question with feedback, a resource and a reflection prompt."""
    modules = list(ModulePage.objects.order_by("path"))
    sections = [section for module in modules for section in module_sections(module)]
    checks = [value for section in sections for _, value in knowledge_checks(section)]

    assert {module.kind for module in modules} == {"team", "in_depth"}
    assert any(module.pass_mark for module in modules)
    assert any(module.pass_mark is None for module in modules)
    assert all(section.live for section in sections)
    assert {value["kind"] for value in checks} == {"single", "multiple"}
    for value in checks:
        assert all(option["feedback"] for option in value["options"])
    assert {"resource", "reflection_prompt"} <= {block.block_type for section in sections for block in section.body}


def test_demo_uses_the_nhs_blocks(seeded):
    block_types = {
        block.block_type for module in ModulePage.objects.all() for s in module_sections(module) for block in s.body
    }
    assert {"care_card", "inset_text", "warning_callout", "do_list", "dont_list", "details"} <= block_types


def test_every_page_says_it_is_demonstration_material(seeded):
    assert "Demonstration material" in ModuleIndexPage.objects.get().intro
    for module in ModulePage.objects.all():
        assert "Demonstration material" in module.introduction


def test_the_action_plan_is_a_watermarked_pdf_document(seeded):
    module = ModulePage.objects.get(slug="in-depth")
    resources = [block.value for s in module_sections(module) for block in s.body if block.block_type == "resource"]
    assert len(resources) == 1
    document = resources[0]["document"]

    assert document.collection.name == MODULE_RESOURCES_COLLECTION
    assert document.collection.get_view_restrictions().exists()
    assert document.file_extension == "pdf"
    assert document.file_size > 1000
    with document.open_file() as handle:
        assert handle.read(5) == b"%PDF-"
    source = render_to_string("demo/asthma_action_plan.html", {"plan": demo_content.ACTION_PLAN_DOCUMENT})
    assert source.count("Demonstration material") >= 3


def test_demo_block_ids_are_the_same_on_every_fresh_database(seeded):
    section = ModulePage.objects.get(slug="team").get_children().get(slug="what-is-an-action-plan").specific
    block_id, value = knowledge_checks(section)[0]

    assert block_id == str(uuid.uuid5(_ID_NAMESPACE, "team/what-is-an-action-plan/2"))
    assert value["options"].bound_blocks[0].id == str(
        uuid.uuid5(_ID_NAMESPACE, "team/what-is-an-action-plan/2/value/options/0")
    )


def test_every_demo_block_renders(seeded):
    # Knowledge checks are rendered by the learner journey with each learner's answers.
    for module in ModulePage.objects.all():
        for section in module_sections(module):
            for block in section.body:
                if block.block_type == "knowledge_check":
                    continue
                html = block.render(context={"page": section})
                assert html.strip(), (section.slug, block.block_type)


def test_the_command_seeds_the_modules(settings, django_capture_on_commit_callbacks):
    settings.DEMO_DATA_ALLOWED = True
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo_modules", stdout=out)
    assert ModulePage.objects.count() == 2
    assert "Created and published /modules/team/" in out.getvalue()


def test_the_command_refuses_where_demo_data_is_not_allowed(settings):
    from django.core.management.base import CommandError

    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="Demo data is not allowed"):
        call_command("seed_demo_modules")
    assert not ModulePage.objects.exists()

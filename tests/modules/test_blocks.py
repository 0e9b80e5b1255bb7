from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.template import Context, Template
from django.urls import include, path
from wagtail.documents import get_document_model
from wagtail.documents import urls as wagtaildocs_urls
from wagtail.embeds.blocks import EmbedValue
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

from modules.blocks import FigureBlock, KnowledgeCheckBlock, ReflectionPromptBlock, ResourceBlock, VideoBlock
from modules.selectors import module_sections

from .factories import build_module

pytestmark = pytest.mark.django_db


def _check(kind: str, options: list[tuple[str, bool]]):
    block = KnowledgeCheckBlock()
    return block, block.to_python({
        "question": "Which?",
        "kind": kind,
        "hint": "",
        "explanation": "",
        "options": [{"text": text, "is_correct": ok, "feedback": ""} for text, ok in options],
    })


def _errors(exc: ValidationError) -> dict[str, list[str]]:
    return {name: err.messages for name, err in exc.block_errors.items()}


def test_single_choice_with_one_right_answer_is_valid():
    block, value = _check("single", [("A", True), ("B", False)])
    assert block.clean(value)["question"] == "Which?"


def test_multiple_choice_may_have_several_right_answers():
    block, value = _check("multiple", [("A", True), ("B", True), ("C", False)])
    assert len(block.clean(value)["options"]) == 3


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("single", [("A", False), ("B", False)], "Mark at least one option as correct."),
        ("multiple", [("A", False), ("B", False)], "Mark at least one option as correct."),
        ("single", [("A", True), ("B", True)], "A single-choice question needs exactly one correct option."),
        ("multiple", [("Yes", True), (" yes ", False)], "Two options have the same text; give each its own."),
    ],
)
def test_invalid_knowledge_checks_are_refused_with_a_clear_message(kind, options, message):
    block, value = _check(kind, options)

    with pytest.raises(ValidationError) as excinfo:
        block.clean(value)

    assert _errors(excinfo.value)["options"] == [message]


def test_a_knowledge_check_needs_at_least_two_options():
    block, value = _check("single", [("Only", True)])

    with pytest.raises(ValidationError) as excinfo:
        block.clean(value)

    assert "options" in excinfo.value.block_errors


def _image():
    return get_image_model().objects.create(title="Spacer", file=get_test_image_file())


def test_figure_needs_alt_text_unless_marked_decorative():
    block = FigureBlock()
    image = _image()
    value = block.to_python({"image": image.pk, "alt_text": " ", "decorative": False, "caption": ""})

    with pytest.raises(ValidationError) as excinfo:
        block.clean(value)

    assert _errors(excinfo.value) == {"alt_text": ["Describe the image, or tick “decorative”."]}
    decorative = block.to_python({"image": image.pk, "alt_text": "", "decorative": True, "caption": ""})
    assert block.clean(decorative)["decorative"] is True


def test_figure_renders_alt_text_and_caption():
    block = FigureBlock()
    image = _image()
    value = block.to_python({"image": image.pk, "alt_text": "A spacer device", "decorative": False, "caption": "A spacer."})

    html = block.render(value)

    assert 'alt="A spacer device"' in html
    assert '<figcaption class="nhsuk-image__caption">A spacer.</figcaption>' in html
    decorative = block.to_python({"image": image.pk, "alt_text": "ignored", "decorative": True, "caption": ""})
    assert 'alt=""' in block.render(decorative)


def _document():
    Document = get_document_model()
    document = Document(title="Action plan")
    document.file.save("plan.pdf", ContentFile(b"%PDF-1.4 test"), save=False)
    document._set_document_file_metadata()
    document.save()
    return document


def _render_resource(page=None) -> tuple[str, object]:
    document = _document()
    block = ResourceBlock()
    value = block.to_python({"title": "the action plan", "document": document.pk, "description": "A plan."})
    return block.render(value, context={"page": page}), document


def test_resource_links_to_the_document_when_there_is_no_section():
    html, document = _render_resource(page=None)
    assert f'href="{document.url}"' in html
    assert "Download the action plan" in html
    assert "PDF" in html


def _download(request, section_id, document_id):  # pragma: no cover - only reversed, never called
    raise NotImplementedError


urlpatterns = [
    path("learning/", include(([path("resources/<int:section_id>/<int:document_id>/", _download,
                                      name="resource_download")], "learning"))),
    path("documents/", include(wagtaildocs_urls)),
]


@pytest.mark.urls(__name__)
def test_resource_links_through_the_tracked_download_url_when_it_exists():
    module = build_module(sections=1)
    section = module_sections(module)[0]

    html, document = _render_resource(page=section)

    assert f'href="/learning/resources/{section.pk}/{document.pk}/"' in html


def test_resource_falls_back_when_the_tracked_url_is_not_installed(settings):
    settings.ROOT_URLCONF = "tests.modules.urls_without_learning"
    module = build_module(sections=1)
    section = module_sections(module)[0]

    html, document = _render_resource(page=section)

    assert f'href="{document.url}"' in html


def test_video_renders_its_transcript_in_a_details_expander():
    block = VideoBlock()
    embed = EmbedValue("https://www.youtube.com/watch?v=example")
    # Set the fetched embed so the test never calls the provider.
    embed.html = '<iframe title="Inhaler technique" src="https://www.youtube.com/embed/example"></iframe>'
    value = block.to_python({"title": "Inhaler technique", "video": None, "transcript": "<p>Breathe out fully.</p>"})
    value["video"] = embed

    html = block.render(value)

    # The provider's player is never embedded: pages load nothing from other hosts.
    assert "<iframe" not in html
    assert '<details class="nhsuk-details">' in html
    assert "Transcript" in html
    assert "<p>Breathe out fully.</p>" in html
    assert 'href="https://www.youtube.com/watch?v=example"' in html


def test_reflection_prompt_renders_the_prompt():
    block = ReflectionPromptBlock()
    html = block.render(block.to_python({"prompt": "What will you change?"}))
    assert "What will you change?" in html
    assert "Reflect on your practice" in html


def test_module_tags_load_in_a_template():
    assert Template("{% load module_tags %}{% resource_download_url None %}").render(Context({})) == ""

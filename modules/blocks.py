"""StreamField blocks for section bodies: NHS.UK design-system blocks first, our own where none fits."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtailnhsukfrontend import blocks as nhsuk

RICH_TEXT_FEATURES = ["h2", "h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link"]


class FigureBlock(blocks.StructBlock):
    """An image with alternative text (or marked decorative) and an optional caption."""

    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        help_text="Describe the image for people who cannot see it.",
        required=False,
    )
    decorative = blocks.BooleanBlock(
        required=False,
        help_text="Tick only if the image adds nothing to the text; screen readers will skip it.",
    )
    caption = blocks.CharBlock(required=False)

    class Meta:
        icon = "image"
        template = "modules/blocks/figure.html"

    def clean(self, value):
        value = super().clean(value)
        if not value.get("decorative") and not (value.get("alt_text") or "").strip():
            raise StructBlockValidationError(
                block_errors={"alt_text": ValidationError("Describe the image, or tick “decorative”.")}
            )
        return value


class VideoBlock(blocks.StructBlock):
    """An embedded video with the transcript that makes it accessible."""

    title = blocks.CharBlock()
    video = EmbedBlock(help_text="A link to the video (e.g. YouTube or Vimeo).")
    transcript = blocks.RichTextBlock(features=RICH_TEXT_FEATURES)

    class Meta:
        icon = "media"
        template = "modules/blocks/video.html"


class ResourceBlock(blocks.StructBlock):
    """A downloadable resource, such as an asthma action plan PDF; downloads are tracked."""

    title = blocks.CharBlock()
    document = DocumentChooserBlock()
    description = blocks.TextBlock(required=False)

    class Meta:
        icon = "doc-full"
        template = "modules/blocks/resource.html"


class OptionBlock(blocks.StructBlock):
    """One answer option of a knowledge check."""

    text = blocks.CharBlock(label="Answer option")
    is_correct = blocks.BooleanBlock(required=False, label="Correct answer")
    feedback = blocks.TextBlock(required=False, help_text="Shown to the learner after they choose this option.")


class KnowledgeCheckBlock(blocks.StructBlock):
    """A single- or multiple-choice question with per-option feedback.

    Each option keeps the stable id Wagtail gives list items
    (`value["options"].bound_blocks[i].id`), so an attempt recorded today still names the option
    it chose after an editor reorders or rewords the question.
    """

    question = blocks.CharBlock()
    kind = blocks.ChoiceBlock(
        choices=[("single", "Single choice (radio buttons)"), ("multiple", "Multiple choice (checkboxes)")],
        default="single",
    )
    hint = blocks.CharBlock(required=False, help_text="E.g. “Select all that apply”.")
    options = blocks.ListBlock(OptionBlock(), min_num=2, max_num=8)
    explanation = blocks.RichTextBlock(
        features=RICH_TEXT_FEATURES, required=False, help_text="Shown after any attempt."
    )

    class Meta:
        icon = "help"
        template = "modules/blocks/knowledge_check.html"

    def clean(self, value):
        value = super().clean(value)
        options = list(value["options"])
        texts = [" ".join(option["text"].split()).casefold() for option in options]
        if len(set(texts)) != len(texts):
            raise StructBlockValidationError(
                block_errors={"options": ValidationError("Two options have the same text; give each its own.")}
            )
        correct = [option for option in options if option["is_correct"]]
        if not correct:
            raise StructBlockValidationError(
                block_errors={"options": ValidationError("Mark at least one option as correct.")}
            )
        if value["kind"] == "single" and len(correct) != 1:
            raise StructBlockValidationError(
                block_errors={"options": ValidationError("A single-choice question needs exactly one correct option.")}
            )
        return value


class ReflectionPromptBlock(blocks.StructBlock):
    """A question for the learner to reflect on, e.g. for their appraisal or revalidation."""

    prompt = blocks.TextBlock()

    class Meta:
        icon = "openquote"
        template = "modules/blocks/reflection_prompt.html"


class SectionBodyBlock(blocks.StreamBlock):
    """The blocks a section's body is written in."""

    rich_text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, icon="pilcrow")
    figure = FigureBlock()
    video = VideoBlock()
    care_card = nhsuk.CareCardBlock()
    inset_text = nhsuk.InsetTextBlock()
    warning_callout = nhsuk.WarningCalloutBlock()
    do_list = nhsuk.DoBlock()
    dont_list = nhsuk.DontBlock()
    details = nhsuk.DetailsBlock()
    resource = ResourceBlock()
    knowledge_check = KnowledgeCheckBlock()
    reflection_prompt = ReflectionPromptBlock()

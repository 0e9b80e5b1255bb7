"""StreamField blocks for section bodies: NHS.UK design-system blocks first, our own where none fits."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.html import escape
from wagtail import blocks
from wagtail.admin.compare import BlockComparison, diff_text
from wagtail.blocks.struct_block import StructBlockValidationError
from wagtail.documents.blocks import DocumentChooserBlock
from wagtail.embeds.blocks import EmbedBlock
from wagtail.images.blocks import ImageChooserBlock
from wagtailnhsukfrontend import blocks as nhsuk

RICH_TEXT_FEATURES = ["h2", "h3", "h4", "bold", "italic", "ol", "ul", "link", "document-link"]


# --- Readable revision comparisons ---------------------------------------------------------------
# Wagtail's compare view shows a block it has no comparison for by its basic rendering: a choice
# as its stored value ("single") and a tick box as "True" or "False". An approver comparing two
# versions of a knowledge check reads the choice's label and "Yes" or "No" instead.


class _TextComparison(BlockComparison):
    """Compare a block by a short text that stands for its value."""

    def text(self, value) -> str:
        raise NotImplementedError

    def htmlvalue(self, val):
        return escape(self.text(val))

    def htmldiff(self):
        return diff_text(self.text(self.val_a), self.text(self.val_b)).to_html()


class ChoiceLabelComparison(_TextComparison):
    """Show a choice by its label, as the editor picked it."""

    def text(self, value) -> str:
        labels = {str(key): str(label) for key, label in self.block.field.choices}
        return labels.get(str(value), "" if value in (None, "") else str(value))


class YesNoComparison(_TextComparison):
    """Show a tick box as "Yes" or "No"."""

    def text(self, value) -> str:
        return "Yes" if value else "No"


class LabelledChoiceBlock(blocks.ChoiceBlock):
    """A choice block compared across revisions by its label."""

    def get_comparison_class(self):
        return ChoiceLabelComparison


class YesNoBlock(blocks.BooleanBlock):
    """A tick box compared across revisions as "Yes" or "No"."""

    def get_comparison_class(self):
        return YesNoComparison


class FigureBlock(blocks.StructBlock):
    """An image with alternative text (or marked decorative) and an optional caption."""

    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        label="Alternative text",
        help_text="Describe the image for people who cannot see it.",
        required=False,
    )
    decorative = YesNoBlock(
        required=False,
        label="Decorative image",
        help_text="Tick only if the image adds nothing to the text; screen readers will skip it.",
    )
    caption = blocks.CharBlock(required=False, help_text="Shown under the image.")

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
    transcript = blocks.RichTextBlock(
        features=RICH_TEXT_FEATURES, help_text="Everything said and shown in the video, for people who cannot watch it."
    )

    class Meta:
        icon = "media"
        template = "modules/blocks/video.html"


class ResourceBlock(blocks.StructBlock):
    """A downloadable resource, such as an asthma action plan PDF; downloads are tracked."""

    title = blocks.CharBlock()
    document = DocumentChooserBlock(help_text="The file learners download (PDF, Word, OpenDocument, text or CSV).")
    description = blocks.TextBlock(required=False, help_text="What the resource is and when to use it.")

    class Meta:
        icon = "doc-full"
        template = "modules/blocks/resource.html"


class OptionBlock(blocks.StructBlock):
    """One answer option of a knowledge check."""

    text = blocks.CharBlock(label="Answer option")
    is_correct = YesNoBlock(required=False, label="Correct answer")
    feedback = blocks.TextBlock(required=False, help_text="Shown to the learner after they choose this option.")

    class Meta:
        label = "Answer option"


class KnowledgeCheckBlock(blocks.StructBlock):
    """A single- or multiple-choice question with per-option feedback.

    Each option keeps the stable id Wagtail gives list items
    (`value["options"].bound_blocks[i].id`), so an attempt recorded today still names the option
    it chose after an editor reorders or rewords the question.
    """

    question = blocks.CharBlock()
    kind = LabelledChoiceBlock(
        choices=[("single", "Single choice (radio buttons)"), ("multiple", "Multiple choice (checkboxes)")],
        default="single",
        label="Type of question",
        help_text="Single choice: the learner picks one answer. Multiple choice: they tick every answer that applies.",
    )
    hint = blocks.CharBlock(required=False, help_text="E.g. “Select all that apply”.")
    options = blocks.ListBlock(OptionBlock(), min_num=2, max_num=8, label="Answer options")
    explanation = blocks.RichTextBlock(
        features=RICH_TEXT_FEATURES, required=False, help_text="Shown after any attempt."
    )

    class Meta:
        icon = "help"
        label = "Knowledge check"
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

    prompt = blocks.TextBlock(help_text="A question the learner can answer in their own reflection notes.")

    class Meta:
        icon = "openquote"
        label = "Reflection prompt"
        template = "modules/blocks/reflection_prompt.html"


class SectionBodyBlock(blocks.StreamBlock):
    """The blocks a section's body is written in."""

    # Labels are what editors read in the "+" menu and in revision comparisons; the names stay
    # as they are, because stored section bodies refer to blocks by name.
    rich_text = blocks.RichTextBlock(features=RICH_TEXT_FEATURES, icon="pilcrow", label="Text")
    figure = FigureBlock(label="Image")
    video = VideoBlock(label="Video")
    care_card = nhsuk.CareCardBlock(label="Care card (non-urgent, urgent or emergency advice)")
    inset_text = nhsuk.InsetTextBlock(label="Inset text (a highlighted paragraph)")
    warning_callout = nhsuk.WarningCalloutBlock(label="Warning")
    do_list = nhsuk.DoBlock(label="Do list")
    dont_list = nhsuk.DontBlock(label="Don't list")
    details = nhsuk.DetailsBlock(label="Expandable details")
    resource = ResourceBlock(label="Downloadable resource")
    knowledge_check = KnowledgeCheckBlock(label="Knowledge check")
    reflection_prompt = ReflectionPromptBlock(label="Reflection prompt")

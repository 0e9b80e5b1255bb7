"""Template tags for module pages: the learner's state and the section body with their answers."""

from __future__ import annotations

from django import template
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from learning.journey import LearningContext, preview_context
from learning.rendering import section_body_segments

register = template.Library()

KNOWLEDGE_CHECK_TEMPLATE = "modules/blocks/knowledge_check.html"


@register.simple_tag(takes_context=True)
def learning_state(context, page) -> LearningContext:
    """Return the learner's context the gate set for this page, or a neutral one in a preview."""
    request = context.get("request")
    learning = getattr(request, "learning", None) if request is not None else None
    if learning is None:
        learning = preview_context(page, request, context.get("module"))
        if request is not None:
            request.learning = learning
    return learning


def _render_check(check, learning: LearningContext, request, section) -> str:
    answer = learning.answers.get(check.id)
    error = learning.check_error if learning.check_error and learning.check_error.block_id == check.id else None
    selected = set(answer.selected) if answer else set()
    options = [
        {"option": option, "index": index, "selected": option.id in selected}
        for index, option in enumerate(check.options, start=1)
    ]
    return get_template(KNOWLEDGE_CHECK_TEMPLATE).render(
        {
            "check": check,
            "options": options,
            "answer": answer,
            "chosen": [row["option"] for row in options if row["selected"]],
            "error": error,
            "can_answer": learning.can_answer and section.live,
            "action": reverse("learning:answer_knowledge_check", kwargs={"section_id": section.pk, "block_id": check.id}),
            "csrf_token": get_token(request) if request is not None else "",
            "is_tracked": learning.is_tracked,
        }
    )


@register.simple_tag(takes_context=True)
def section_body(context, page) -> SafeString:
    """Render the section body: shared blocks from the per-revision cache, checks with the learner's answers."""
    request = context.get("request")
    learning = learning_state(context, page)
    segments = section_body_segments(page, preview=learning.is_preview)
    parts = []
    for segment in segments:
        if segment.check is not None:
            parts.append(_render_check(segment.check, learning, request, page))
        else:
            parts.append(segment.html)
    return mark_safe("".join(parts))  # noqa: S308 - each part is template output, escaped where rendered


STATUS_TAGS = {
    "completed": ("Completed", "nhsuk-tag--green"),
    "in_progress": ("In progress", "nhsuk-tag--blue"),
    "not_started": ("Not started", "nhsuk-tag--grey"),
}


@register.inclusion_tag("learning/includes/status_tag.html")
def module_status_tag(status: str, engagement: int = 0, completed_at=None):
    """Render a module status as an NHS.UK tag, with the percentage or completion date."""
    label, css = STATUS_TAGS.get(status, STATUS_TAGS["not_started"])
    return {"label": label, "css": css, "status": status, "engagement": engagement, "completed_at": completed_at}

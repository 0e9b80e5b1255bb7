"""Template tags for the module index and module pages: the learner's state in them, and status tags."""

from __future__ import annotations

from django import template

from learning.section_context import LearningContext, preview_context

register = template.Library()


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

"""Template tags for the module index and module pages: a module's status for the learner."""

from __future__ import annotations

from django import template

register = template.Library()


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

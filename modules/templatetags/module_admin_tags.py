"""Template tags for the admin's delete and unpublish pages: what a module or section change would touch."""

from __future__ import annotations

from django import template

from modules.activity import activity_in_subtree
from modules.models import ModulePage, SectionPage

register = template.Library()


@register.simple_tag
def page_learner_activity(page):
    """Return the learner activity a page holds (with its sections), or None for pages outside modules."""
    specific = getattr(page, "specific_deferred", page)
    if not isinstance(specific, ModulePage | SectionPage):
        return None
    return activity_in_subtree(page)


@register.simple_tag
def module_live_section_count(page) -> int | None:
    """Return how many live sections unpublishing this module takes with it, or None if it is not a module."""
    specific = getattr(page, "specific_deferred", page)
    if not isinstance(specific, ModulePage):
        return None
    return SectionPage.objects.child_of(page).live().count()

"""Template filters that show the trial's measures the one way learning/measures.py defines."""

from __future__ import annotations

from django import template

from learning import measures
from modules.structure import completion_targets

register = template.Library()


@register.filter
def shown_percent(engagement) -> int:
    """Show engagement in whole percent rounded down, as every page does (79.55 shows as 79)."""
    return measures.shown_percent(engagement)


@register.simple_tag
def completion_rule(module) -> measures.CompletionRule:
    """Return the module's completion rule, whose `requirement` says what completing it asks."""
    return measures.completion_rule(completion_targets(module))


@register.simple_tag
def section_rule() -> str:
    """Return when a section counts as undertaken, in the pages' words."""
    return measures.SECTION_RULE

"""How much learner activity a module or section holds, asked of the app that records it.

modules knows nothing of learners. Before a page is deleted, unpublished or retired, the admin
says how many learners and recorded events it would touch; the app that records learning
(learning) registers a function for that in its own `wagtail_hooks.py`:

    @hooks.register(MODULE_ACTIVITY)
    def learning_activity(page_ids) -> Activity: ...
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from wagtail import hooks
from wagtail.models import Page

# A function of a list of page ids (modules and sections) returning an Activity: how many
# distinct learners and recorded events refer to any of those pages.
MODULE_ACTIVITY = "module_activity"


@dataclass(frozen=True)
class Activity:
    """Distinct learners and recorded events (views, answers, downloads, completions, deviations) for some pages."""

    learners: int = 0
    events: int = 0

    @property
    def exists(self) -> bool:
        return bool(self.learners or self.events)

    def __add__(self, other: Activity) -> Activity:
        # Learners from different apps may overlap; each app counts distinct learners of its own.
        return Activity(learners=max(self.learners, other.learners), events=self.events + other.events)


def activity_for_pages(page_ids: Iterable[int]) -> Activity:
    """Return the learner activity every registered app holds for these pages."""
    ids = sorted(set(page_ids))
    total = Activity()
    if not ids:
        return total
    for count in hooks.get_hooks(MODULE_ACTIVITY):
        total = total + count(ids)
    return total


def activity_in_subtree(page: Page) -> Activity:
    """Return the learner activity held by a page and everything under it (a module and its sections)."""
    ids = Page.objects.descendant_of(page, inclusive=True).values_list("pk", flat=True)
    return activity_for_pages(ids)

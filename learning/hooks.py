"""Learning's Wagtail hooks: the extension points of the learner's record, and what learning adds to module pages.

learning never imports the apps that extend it (certificates sits above it). An app registers a
function in its own `wagtail_hooks.py`, as Wagtail's own hooks are registered:

    @hooks.register(LEARNING_RECORD_PANEL)
    def certificates_panel(user) -> RecordPanel | None: ...

    @hooks.register(LEARNING_RECORD_CERTIFICATES)
    def certificates_by_completion(user) -> Iterable: ...

    @hooks.register(LEARNING_COMPLETION_LINK)
    def get_your_certificate(user, module) -> Link | None: ...
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from wagtail import hooks

from modules.hooks import KNOWLEDGE_CHECK_MARKING, MODULE_PAGE_TEMPLATE, MODULE_RESOURCE_URL

from .marking import check_from_block, mark_answer

# A function of the learner returning a RecordPanel (or None) shown on the record page, below
# the modules, in the order the apps are installed.
LEARNING_RECORD_PANEL = "register_learning_record_panel"
# A function of the learner returning the certificates their completions earned: objects with
# `module_id`, `completion_id`, `completion.cycle`, `display_code` and `status`, named on each
# completion's row of the record CSV.
LEARNING_RECORD_CERTIFICATES = "register_learning_record_certificates"
# A function (user, module) returning a Link (or None) listed under "What you can do next" on the
# page that confirms a completion.
LEARNING_COMPLETION_LINK = "register_learning_completion_link"


@dataclass(frozen=True)
class RecordPanel:
    """A part of the record page another app renders: its template and that template's context."""

    template_name: str
    context: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Link:
    """A link another app offers on a learning page: its address, its text and any words after it."""

    url: str
    text: str
    then: str = ""


def record_panels(user) -> list[RecordPanel]:
    """Return the panels apps above learning add to this learner's record page."""
    return [panel for panel_for in hooks.get_hooks(LEARNING_RECORD_PANEL) if (panel := panel_for(user)) is not None]


def record_certificates(user) -> Iterator:
    """Yield the certificates the learner's completions earned, from every app that issues them."""
    for certificates_for in hooks.get_hooks(LEARNING_RECORD_CERTIFICATES):
        yield from certificates_for(user)


def completion_links(user, module) -> list[Link]:
    """Return the links apps above learning offer once the learner has completed the module."""
    return [link for link_for in hooks.get_hooks(LEARNING_COMPLETION_LINK) if (link := link_for(user, module)) is not None]


# ---- What learning adds to the module pages (extension points modules offers in modules/hooks.py).

LEARNER_TEMPLATES = {"moduleindexpage": "learning/module_index_page.html", "modulepage": "learning/module_page.html"}


@hooks.register(MODULE_PAGE_TEMPLATE)
def learner_module_template(page, request) -> str | None:
    """Show the module index and module pages with the learner's state in them (the gate passes it; wagtail_hooks.py)."""
    return LEARNER_TEMPLATES.get(page.specific_class._meta.model_name) if page.specific_class else None


@hooks.register(MODULE_RESOURCE_URL)
def tracked_resource_url(page, document) -> str | None:
    """Send resource downloads through the view that checks the learner's practice and records them."""
    try:
        return reverse("learning:resource_download", kwargs={"section_id": page.pk, "document_id": document.pk})
    except NoReverseMatch:
        # A URL map without learning's views (modules on its own): the document's own address.
        return None


@hooks.register(KNOWLEDGE_CHECK_MARKING)
def mark_previewed_answer(block, selected_option_ids=None):
    """Mark an answer given in the whole-module preview exactly as a learner's is marked (nothing is recorded)."""
    check = check_from_block(block)
    return check, (mark_answer(check, list(selected_option_ids)) if selected_option_ids is not None else None)

"""Extension points of the module pages, which apps above modules fill through Wagtail's hooks.

modules knows what a module is, not who is learning it: the app that tracks learners (learning)
registers these in its own code, and modules never imports it.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from wagtail import hooks

# A function (page, request) returning the template to render a module index or module page with,
# or None to leave it to the next one (and in the end to the page type's own template).
MODULE_PAGE_TEMPLATE = "module_page_template"
# A function (page, request, **serve_kwargs) returning a dict added to a module index or module
# page's template context (the serve arguments are what the on_serve_page hooks passed down).
MODULE_PAGE_CONTEXT = "module_page_context"
# A function (page, document) returning the address a section's resource is downloaded from, or
# None; without one, the document's own address.
MODULE_RESOURCE_URL = "module_resource_url"
# A function (block, selected_option_ids) for a knowledge-check block of a section body, returning
# (check, marked): the check as the check template reads it (`id`, `question`, `hint`,
# `is_multiple`, `options` with `id`, `text`, `is_correct` and `feedback`, `explanation_html`) and,
# when option ids are given, the marked answer (`selected_option_ids`, `is_correct`), else None. An
# answer that is not valid raises ValidationError with the message a learner would read. The
# whole-module preview marks an approver's answers with it, by the rule learners' answers are marked by.
KNOWLEDGE_CHECK_MARKING = "knowledge_check_marking"


def registered_page_template(page, request) -> str | None:
    """Return the template an app above modules registered for this page, or None."""
    for template_for in hooks.get_hooks(MODULE_PAGE_TEMPLATE):
        if name := template_for(page, request):
            return name
    return None


def registered_page_context(page, request, **serve_kwargs) -> dict:
    """Return what apps above modules add to this page's template context, given the serve arguments."""
    extra: dict = {}
    for context_for in hooks.get_hooks(MODULE_PAGE_CONTEXT):
        extra.update(context_for(page, request, **serve_kwargs))
    return extra


def resource_url(page, document) -> str:
    """Return the address a resource in this page is downloaded from."""
    for url_for in hooks.get_hooks(MODULE_RESOURCE_URL):
        if url := url_for(page, document):
            return url
    return document.url


def mark_knowledge_check(block, selected_option_ids: list[str] | None = None):
    """Return (check, marked) for a knowledge-check block from the app that marks answers (see above)."""
    markers = hooks.get_hooks(KNOWLEDGE_CHECK_MARKING)
    if not markers:
        raise ImproperlyConfigured("No app registers a knowledge_check_marking hook.")
    return markers[-1](block, selected_option_ids)

"""Template tags for module content."""

from __future__ import annotations

from django import template

from modules.hooks import resource_url
from modules.links import module_index_url as _module_index_url

register = template.Library()


@register.simple_tag(takes_context=True)
def resource_download_url(context, document) -> str:
    """Return the address a resource in the section being shown is downloaded from.

    An app above modules decides it (learning: its tracked download view, modules.hooks); where
    there is no section in the context (a block rendered on its own), the document's own address.
    """
    if document is None:
        return ""
    if context.get("is_preview"):
        # An editor's preview (perhaps of a draft the gated view cannot serve): content staff
        # open documents by their own address.
        return document.url
    page = context.get("page")
    if page is not None and getattr(page, "pk", None) is not None:
        return resource_url(page, document)
    return document.url


@register.simple_tag
def module_index_url() -> str:
    """Return the module list's address, for links to it from any page."""
    return _module_index_url()

"""Template tags for module content."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag(takes_context=True)
def resource_download_url(context, document) -> str:
    """Return the tracked download URL for a document in the section being shown.

    Falls back to the document's own URL where there is no section in the context (e.g. a block
    rendered on its own) or no tracking view is installed.
    """
    if document is None:
        return ""
    if context.get("is_preview"):
        # An editor's preview (perhaps of a draft the gated view cannot serve): content staff
        # open documents by their own address.
        return document.url
    page = context.get("page")
    if page is not None and getattr(page, "pk", None) is not None:
        try:
            return reverse("learning:resource_download", kwargs={"section_id": page.pk, "document_id": document.pk})
        except NoReverseMatch:
            pass
    return document.url

"""Bench-only page type: the reference a plain Wagtail site would serve, never part of the product."""

from __future__ import annotations

from wagtail.fields import RichTextField
from wagtail.models import Page


class PlainPage(Page):
    """A plain Wagtail page with one rich-text body, served by Wagtail's default serve view."""

    body = RichTextField(blank=True)

    template = "bench/plain_page.html"

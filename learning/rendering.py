"""Render a section's body once per published revision; only its knowledge checks are per learner.

A section body is the same for every learner except its knowledge checks, which show each
learner's own answer. So the body is rendered into segments (HTML runs and checks as plain data)
and cached under the section's live revision id; a page view adds the learner's answers only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.core.cache import cache
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .checks import KNOWLEDGE_CHECK, KnowledgeCheck, check_from_block

BODY_CACHE_SECONDS = 24 * 3600
# Bump when the segment format or a block template changes, so old renderings are not reused.
BODY_FORMAT = 2


@dataclass(frozen=True)
class BodySegment:
    """A run of rendered blocks, or one knowledge check to render for the learner."""

    html: SafeString | str = ""
    check: KnowledgeCheck | None = None


def _render(section, *, preview: bool = False) -> tuple[BodySegment, ...]:
    segments: list[BodySegment] = []
    pending: list[str] = []
    # Block templates get the section as `page` (the resource block links through it) and no
    # request, so nothing learner-specific can leak into the shared rendering. In an editor's
    # preview the section may be a draft the gated view cannot serve, so documents link to their
    # own address there, which content staff may open (modules/resources.py).
    context = {"page": section, "self": section, "is_preview": preview}
    gate = (lambda html: html) if preview else _document_links_gate(section)
    for block in section.body:
        if block.block_type == KNOWLEDGE_CHECK:
            if pending:
                segments.append(BodySegment(html="".join(pending)))
                pending = []
            segments.append(BodySegment(check=check_from_block(block)))
        else:
            pending.append(gate(str(block.render(context=context))))
    if pending:
        segments.append(BodySegment(html="".join(pending)))
    return tuple(segments)


def _document_links_gate(section):
    """Return a function pointing the section's document links at the gated download view.

    Rich text renders a document link as the document's own /documents/ address, which only
    content staff may open; learners go through learning:resource_download, which checks their
    practice and records the download.
    """
    from wagtail.documents import get_document_model

    from modules.structure import section_document_ids

    ids = section_document_ids(section)
    if not ids:
        return lambda html: html
    swaps = {
        f'href="{escape(document.url)}"': 'href="{}"'.format(
            reverse("learning:resource_download", kwargs={"section_id": section.pk, "document_id": document.pk})
        )
        for document in get_document_model().objects.filter(pk__in=ids)
    }

    def gate(html: str) -> str:
        for old, new in swaps.items():
            html = html.replace(old, new)
        return html

    return gate


def _cache_key(section) -> str:
    if section.live_revision_id:
        version = f"r{section.live_revision_id}"
    else:
        # Pages saved without revisions (fixtures, shell) key on their content instead.
        raw = json.dumps(section.body.raw_data, sort_keys=True, default=str)
        version = "h" + hashlib.sha256(raw.encode()).hexdigest()[:32]
    return f"learning:section-body:{BODY_FORMAT}:{section.pk}:{version}"


def section_body_segments(section, *, preview: bool = False) -> tuple[BodySegment, ...]:
    """Return the section body's segments, from the cache unless this is an editor's preview."""
    if preview:
        # A preview shows unpublished content: never cache it under the live revision.
        return _render(section, preview=True)
    key = _cache_key(section)
    segments = cache.get(key)
    if segments is None:
        segments = _render(section)
        cache.set(key, segments, BODY_CACHE_SECONDS)
    return tuple(
        BodySegment(html=mark_safe(segment.html), check=segment.check) if segment.html else segment  # noqa: S308
        for segment in segments
    )

"""Render section pages: the body once per published revision, the learner's own parts per view.

A section body is the same for every learner except its knowledge checks, which show each
learner's own answer. So the body is rendered into segments (HTML runs and checks as plain data)
and cached under the section's live revision id; a page view adds the learner's answers only.
`render_section_page` is what `SectionPage.serve` calls (a `render_section_page` hook): the gate in
wagtail_hooks.py hands it the learner's context as an argument; an editor's preview gets a
neutral one.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.template import engines
from django.template.loader import get_template
from django.template.response import TemplateResponse
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from core import content_cache

from .marking import KNOWLEDGE_CHECK, KnowledgeCheck, check_from_block
from .section_context import LearningContext, preview_context

BODY_CACHE_SECONDS = 24 * 3600
# Bump when the segment format, a block template or a pickled class's module changes (3: learning.checks
# became learning.marking), so old renderings are not reused or unpickled.
BODY_FORMAT = 3


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
    segments = content_cache.get(key)
    if segments is None:
        segments = _render(section)
        content_cache.set(key, segments, BODY_CACHE_SECONDS)
    return tuple(
        BodySegment(html=mark_safe(segment.html), check=segment.check) if segment.html else segment  # noqa: S308
        for segment in segments
    )


SECTION_TEMPLATE = "learning/section_page.html"
KNOWLEDGE_CHECK_TEMPLATE = "modules/blocks/knowledge_check.html"


@lru_cache(maxsize=4096)
def _answer_address(section_id: int, block_id: str, script_prefix: str, urlconf: str | None) -> str:
    # Reversed once per check and URL map: the map does not change while a process runs.
    return reverse(
        "learning:answer_knowledge_check", kwargs={"section_id": section_id, "block_id": block_id}, urlconf=urlconf
    )


def _check_html(check: KnowledgeCheck, *, answer, error, can_answer: bool, action: str, csrf: str, tracked: bool) -> str:
    selected = set(answer.selected) if answer else set()
    options = [
        {"option": option, "index": index, "selected": option.id in selected}
        for index, option in enumerate(check.options, start=1)
    ]
    return get_template(KNOWLEDGE_CHECK_TEMPLATE).render(
        {
            "check": check,
            "options": options,
            "answer": answer,
            "chosen": [row["option"] for row in options if row["selected"]],
            "error": error,
            "can_answer": can_answer,
            "action": action,
            "csrf_token": csrf,
            "is_tracked": tracked,
        }
    )


def _render_check(check: KnowledgeCheck, learning: LearningContext, section, csrf: str) -> str:
    answer = learning.answers.get(check.id)
    error = learning.check_error if learning.check_error and learning.check_error.block_id == check.id else None
    rendering = {
        "answer": answer, "error": error, "can_answer": learning.can_answer and section.live,
        "action": _answer_address(section.pk, check.id, get_script_prefix(), get_urlconf()),
        "tracked": learning.is_tracked,
    }
    if error is not None or learning.is_preview:
        return _check_html(check, csrf=csrf, **rendering)
    # What a check shows depends only on the answer chosen (a handful of possibilities), so each
    # is rendered once per process and revision, with the CSRF token filled in per view.
    key = (
        "learning:check", _cache_key(section), check.id, answer.selected if answer else None,
        answer.is_correct if answer else None, rendering["can_answer"], rendering["action"], rendering["tracked"],
    )
    pieces = content_cache.local(
        key, lambda: tuple(_SPLIT.split(_check_html(check, csrf=_PLACEHOLDER["csrf"], **rendering)))
    )
    return "".join(csrf if index % 2 else piece for index, piece in enumerate(pieces))


def section_body_html(section, learning: LearningContext, request, *, csrf: str | None = None) -> SafeString:
    """Return the section body: shared blocks from the per-revision cache, checks with the learner's answers."""
    segments = section_body_segments(section, preview=learning.is_preview)
    if csrf is None and request is not None and any(segment.check is not None for segment in segments):
        csrf = get_token(request)
    parts = [
        _render_check(segment.check, learning, section, csrf or "") if segment.check is not None else segment.html
        for segment in segments
    ]
    return mark_safe("".join(parts))  # noqa: S308 - each part is template output, escaped where rendered


class _ShellUser:
    """The signed-in learner as the shared shell sees them: their name is filled in per view."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, name: str) -> None:
        self.email = name
        self._name = name

    def get_full_name(self) -> str:
        return self._name


# Placeholders for the learner's own parts of a shared shell. The process's random token makes
# them impossible to write into content, so no editor's text can be mistaken for one.
_TOKEN = secrets.token_hex(16)
PERSONAL_PARTS = ("title_prefix", "error_summary", "notice", "progress", "body", "messages_html", "name", "csrf")
_PLACEHOLDER = {part: mark_safe(f"\x1d{_TOKEN}:{part}\x1d") for part in PERSONAL_PARTS}  # noqa: S308
_SPLIT = re.compile(f"\x1d{_TOKEN}:(\\w+)\x1d")
# Context processors' values that belong to the request, not to the shell.
_PER_REQUEST_KEYS = frozenset({"user", "perms", "messages", "DEFAULT_MESSAGE_LEVELS", "request", "csrf_token"})


def _shared_processor_values(request) -> dict:
    """Run the site's context processors and keep what is the same for everyone in the same role (the links)."""
    values: dict = {}
    for processor in engines["django"].engine.template_context_processors:
        values.update(processor(request))
    return {key: value for key, value in values.items() if key not in _PER_REQUEST_KEYS}


def _render_include(name: str, **context) -> str:
    return get_template(name).render(context)


def _personal_parts(section, learning: LearningContext, request, *, csrf: str | None = None) -> dict[str, str]:
    error = learning.check_error
    notice = learning.notice
    parts = {
        "title_prefix": "Error: " if error else "",
        "error_summary": _render_include("learning/includes/check_error_summary.html", error=error) if error else "",
        "notice": _render_include("learning/includes/notice.html", notice=notice) if notice else "",
        "progress": "",
        "body": section_body_html(section, learning, request, csrf=csrf),
        "messages_html": "",
    }
    if learning.position and not learning.is_preview:
        parts["progress"] = _render_include(
            "learning/includes/progress.html", percent=learning.engagement_whole, text=learning.progress_text
        )
    storage = get_messages(request)
    if storage:
        parts["messages_html"] = _render_include("includes/messages.html", messages=storage)
    return {key: mark_safe(value) for key, value in parts.items()}  # noqa: S308 - template output


def _shell(section, learning: LearningContext, shared: dict) -> tuple[str, ...]:
    """Render the section page once with placeholders for the learner's parts; return it split at them."""
    context = {
        **shared, "page": section, "self": section, "learning": learning,
        "user": _ShellUser(_PLACEHOLDER["name"]), "csrf_token": _PLACEHOLDER["csrf"], "messages": (),
        **{part: _PLACEHOLDER[part] for part in PERSONAL_PARTS if part not in {"name", "csrf"}},
    }
    return tuple(_SPLIT.split(get_template(SECTION_TEMPLATE).render(context)))


def _shell_key(section, learning: LearningContext, shared: dict) -> tuple:
    module = learning.module
    structure = learning.structure
    return (
        "learning:section-shell", section.pk, _cache_key(section), section.title, section.seo_title, section.summary,
        module.pk if module else None, module.title if module else None,
        structure.version if structure else None, repr(sorted(shared.items())),
    )


def render_section_page(section, request, *args, learning=None, **kwargs) -> HttpResponse:
    """Return the section page for the learner's context, or with a neutral context in an editor's preview.

    `learning` is the gate's function that records the view and returns the learner's context.
    Everything but the learner's own parts is rendered once per published revision, role's links
    and module structure, and kept in the process (core.content_cache); each view fills in the
    learner's name, CSRF token, messages, notice, progress and answers.
    """
    if learning is not None:
        learning = learning()
    else:
        if not getattr(request, "is_preview", False):
            # Live section views always come through the gate, which passes the learner's context.
            raise PermissionDenied("Section pages are served through the learning gate.")
        learning = preview_context(section, request, None)
    if learning.is_preview:
        parts = _personal_parts(section, learning, request)
        context = {"page": section, "self": section, "request": request, "learning": learning, **parts}
        return TemplateResponse(request, SECTION_TEMPLATE, context)
    shared = _shared_processor_values(request)
    pieces = content_cache.local(
        _shell_key(section, learning, shared), lambda: _shell(section, learning, shared)
    )
    # One masked CSRF token for every form on the page, as {% csrf_token %} gives within one render.
    csrf = get_token(request) if "csrf" in pieces[1::2] else None
    parts = _personal_parts(section, learning, request, csrf=csrf)
    user = request.user
    values = {**parts, "name": escape(user.get_full_name() or user.email), "csrf": csrf or ""}
    html = "".join(values[piece] if index % 2 else piece for index, piece in enumerate(pieces))
    return HttpResponse(html)

"""The one place that sanitises user-written HTML; the only module that imports bleach.

Learners write reflections with a little formatting. What we keep is a short allowlist: paragraphs,
line breaks, bold, italics, lists and links (http, https and mailto only, always rel="noopener
noreferrer nofollow"). Any other tag is removed but its text kept, except for elements whose
content is code or a separate document (script, style, iframe, svg, ...), which are removed with
everything inside them. Sanitising is idempotent: sanitise(sanitise(x)) == sanitise(x).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

import bleach
from bleach.html5lib_shim import Filter

ALLOWED_TAGS: frozenset[str] = frozenset({"p", "br", "strong", "em", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES: dict[str, list[str]] = {"a": ["href"]}
ALLOWED_PROTOCOLS: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

# Elements dropped together with their content: their text is code, markup for another
# document, or form state, never prose a learner meant to keep.
DROP_WITH_CONTENT: frozenset[str] = frozenset({
    "script", "style", "template", "iframe", "frame", "frameset", "object", "embed", "applet",
    "svg", "math", "noscript", "noembed", "noframes", "xmp", "textarea", "select", "title",
    "plaintext", "head",
})

_TAG_TOKENS = ("StartTag", "EndTag", "EmptyTag")


class _DropWithContentFilter(Filter):
    """Remove DROP_WITH_CONTENT elements and every token inside them."""

    def __iter__(self) -> Iterator[dict]:
        depth = 0
        for token in super().__iter__():
            kind = token["type"]
            name = token.get("name", "").lower() if kind in _TAG_TOKENS else ""
            if name in DROP_WITH_CONTENT:
                if kind == "StartTag":
                    depth += 1
                elif kind == "EndTag":
                    depth = max(depth - 1, 0)
                continue
            if depth == 0:
                yield token


_ABSOLUTE_LINK = re.compile(r"^(https?://|mailto:)", re.IGNORECASE)


class _LinkFilter(Filter):
    """Keep only absolute http(s) and mailto links, each with the same rel, whatever the input said."""

    def __iter__(self) -> Iterator[dict]:
        for token in super().__iter__():
            if token["type"] == "StartTag" and token["name"] == "a":
                href = token["data"].get((None, "href"), "")
                # Relative links mean nothing in a PDF or on another page, so they go too.
                token["data"] = {(None, "href"): href, (None, "rel"): LINK_REL} if _ABSOLUTE_LINK.match(href) else {}
            yield token


# The drop-with-content tags are admitted to the parser (so script and style bodies are parsed as
# raw text, as a browser would) and then removed whole by the first filter.
_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS | DROP_WITH_CONTENT,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[_DropWithContentFilter, _LinkFilter],
)

_WHITESPACE_RUN = re.compile(r"[ \t\r\f\v]+")
# Something a browser would read as a tag, comment or doctype; "a < b" or "<3" is plain text.
_LOOKS_LIKE_MARKUP = re.compile(r"<(?:/?[a-zA-Z]|[!?])")
# Markup that already says where paragraphs and lines break.
_BLOCK_MARKUP = re.compile(r"<\s*/?\s*(p|br|ul|ol|li|div|h[1-6]|table|blockquote)\b", re.IGNORECASE)


def sanitise(value: str) -> str:
    """Return value with everything outside the reflection allowlist removed."""
    if not value:
        return ""
    # Normalise line endings first so a second pass sees exactly what the first produced.
    return _cleaner.clean(value.replace("\r\n", "\n").replace("\r", "\n")).strip()


def plain_text_to_html(text: str) -> str:
    """Return HTML paragraphs for plain text: blank lines split paragraphs, single newlines become <br>."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        return ""
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]
    rendered = []
    for paragraph in paragraphs:
        lines = [_WHITESPACE_RUN.sub(" ", html.escape(line.strip(), quote=False)) for line in paragraph.split("\n")]
        rendered.append("<p>" + "<br>".join(lines) + "</p>")
    return "".join(rendered)


def _paragraphs_around_inline_markup(text: str) -> str:
    # Text with only inline tags (<strong>, <a>...) still gets its blank-line paragraphs; it is
    # not escaped here because sanitise() runs on the result.
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    paragraphs = [part.strip() for part in re.split(r"\n\s*\n", text) if part.strip()]
    return "".join("<p>" + "<br>".join(line.strip() for line in p.split("\n")) + "</p>" for p in paragraphs)


def sanitise_user_text(value: str) -> str:
    """Return safe HTML for what a learner typed: plain text gets paragraphs, HTML is sanitised."""
    if not _LOOKS_LIKE_MARKUP.search(value):
        return sanitise(plain_text_to_html(value))
    if not _BLOCK_MARKUP.search(value):
        return sanitise(_paragraphs_around_inline_markup(value))
    return sanitise(value)

"""The reflection sanitiser against a corpus of known XSS payloads, and what it must keep."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from core.sanitise import ALLOWED_TAGS, LINK_REL, sanitise, sanitise_user_text

PAYLOADS = [
    line for line in (Path(__file__).parent / "xss_payloads.txt").read_text(encoding="utf-8").splitlines() if line
]
DANGEROUS_ELEMENTS = {"script", "style", "iframe", "object", "embed", "svg", "math", "img", "form",
                      "input", "base", "link", "meta", "frame", "frameset", "applet", "template"}
# Control characters and whitespace browsers ignore inside a URL scheme.
_IGNORED_IN_SCHEME = re.compile(r"[\x00-\x20\x7f]+")


def _scheme(url: str) -> str | None:
    squashed = _IGNORED_IN_SCHEME.sub("", url).lower()
    match = re.match(r"^([a-z][a-z0-9+.\-]*):", squashed)
    return match.group(1) if match else None


def _assert_nothing_executable(output: str) -> None:
    soup = BeautifulSoup(output, "html.parser")
    for element in soup.find_all(True):
        assert element.name not in DANGEROUS_ELEMENTS, output
        assert element.name in ALLOWED_TAGS, output
        for name, value in element.attrs.items():
            assert not name.lower().startswith("on"), output
            assert element.name == "a", output
            assert name in {"href", "rel"}, output
            if name == "href":
                assert _scheme(value) in {"http", "https", "mailto"}, output
                squashed = _IGNORED_IN_SCHEME.sub("", value).lower()
                assert not squashed.startswith(("javascript:", "vbscript:", "data:")), output
    # Belt and braces on the raw text: no tag opener a browser could read as markup we disallow.
    for tag in re.findall(r"<\s*/?\s*([a-zA-Z][^\s/>]*)", output):
        assert tag.lower() in ALLOWED_TAGS, output


def test_corpus_has_at_least_100_distinct_payloads():
    assert len(set(PAYLOADS)) >= 100
    assert len(set(PAYLOADS)) == len(PAYLOADS)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_nothing_executable_survives_and_sanitising_twice_changes_nothing(payload):
    once = sanitise(payload)
    _assert_nothing_executable(once)
    assert sanitise(once) == once


@pytest.mark.parametrize("payload", PAYLOADS)
def test_user_text_path_is_as_safe_as_the_html_path(payload):
    once = sanitise_user_text(payload)
    _assert_nothing_executable(once)
    assert sanitise(once) == once


def test_script_and_style_are_removed_with_their_content():
    assert sanitise("<p>before</p><script>alert('x')</script><style>p{color:red}</style><p>after</p>") == (
        "<p>before</p><p>after</p>"
    )


def test_disallowed_tags_are_removed_but_their_text_kept():
    assert sanitise("<div><h1>Title</h1><span>kept</span></div>") == "Titlekept"


def test_allowed_formatting_is_kept():
    html = "<p>I <strong>learned</strong> to <em>ask</em>:</p><ul><li>one</li></ul><ol><li>two<br>three</li></ol>"
    assert sanitise(html) == html


def test_links_keep_safe_urls_and_always_get_the_same_rel():
    assert sanitise('<a href="https://www.asthma.org.uk/" target="_blank" rel="opener">Asthma + Lung UK</a>') == (
        f'<a href="https://www.asthma.org.uk/" rel="{LINK_REL}">Asthma + Lung UK</a>'
    )
    assert sanitise('<a href="mailto:lead@example.org">mail</a>') == (
        f'<a href="mailto:lead@example.org" rel="{LINK_REL}">mail</a>'
    )
    assert sanitise('<a href="javascript:alert(1)">x</a>') == "<a>x</a>"
    assert sanitise('<a href="/accounts/">relative</a>') == "<a>relative</a>"


def test_plain_text_becomes_paragraphs_and_line_breaks():
    assert sanitise_user_text("First idea.\nSame paragraph.\n\nSecond <3 & more") == (
        "<p>First idea.<br>Same paragraph.</p><p>Second &lt;3 &amp; more</p>"
    )
    assert sanitise_user_text("Uses a < b and Welsh: ŵ ŷ â") == "<p>Uses a &lt; b and Welsh: ŵ ŷ â</p>"


def test_inline_markup_with_blank_lines_still_gets_paragraphs():
    assert sanitise_user_text("I learned <strong>this</strong>.\nAnd that.\n\nNext, <em>act</em>.") == (
        "<p>I learned <strong>this</strong>.<br>And that.</p><p>Next, <em>act</em>.</p>"
    )
    # Text that already has block markup is left to say where its paragraphs are.
    assert sanitise_user_text("<p>One</p>\n\n<p>Two</p>") == "<p>One</p>\n\n<p>Two</p>"


def test_empty_input_gives_empty_output():
    assert sanitise("") == ""
    assert sanitise_user_text("   \n  ") == ""

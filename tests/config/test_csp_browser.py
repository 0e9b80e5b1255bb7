"""The browser tests' watch: it catches a Content-Security-Policy violation and a request to another host."""

from __future__ import annotations

import pytest

from tests.browser import watched_chromium

pytestmark = pytest.mark.browser

PROBE = "http://127.0.0.1:9/probe/"
PAGE = """<!DOCTYPE html><html><head><link rel="stylesheet" href="https://fonts.example.net/font.css"></head>
<body><p>probe</p><script>document.title = "inline ran";</script></body></html>"""


def test_the_watch_reports_an_inline_script_refused_by_the_policy_and_an_off_site_request():
    with watched_chromium() as chromium:
        context = chromium.new_context()
        page = context.new_page()
        # Served by the browser itself: no server needed, and the off-site request never leaves.
        page.route(PROBE, lambda route: route.fulfill(
            status=200, body=PAGE, content_type="text/html",
            # Styles are left open so the off-site stylesheet is requested rather than refused.
            headers={"Content-Security-Policy": "script-src 'self'"},
        ))
        page.route("https://fonts.example.net/**", lambda route: route.abort())
        page.goto(PROBE)
        page.wait_for_timeout(200)
        assert page.title() == ""
        problems = "\n".join(chromium.problems)
        assert "CSP violation: script-src-elem refused inline" in problems
        assert "request to another host: https://fonts.example.net/font.css" in problems
        context.close()


def test_the_watch_is_quiet_on_a_page_that_keeps_to_its_policy():
    with watched_chromium() as chromium:
        page = chromium.new_page()
        page.route(PROBE, lambda route: route.fulfill(
            status=200, body="<!DOCTYPE html><p>probe</p>", content_type="text/html",
            headers={"Content-Security-Policy": "default-src 'self'"},
        ))
        page.goto(PROBE)
        page.wait_for_timeout(100)
        assert chromium.problems == []

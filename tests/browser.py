"""Chromium for the browser tests, watched for Content-Security-Policy violations and requests to other hosts.

Every context made through `WatchedBrowser.new_context` reports a `securitypolicyviolation` event
(an init script listens before any page script runs) and Chromium's own "Refused to ..." console
errors, and notes any request that leaves the test server. The `browser` fixture in
tests/conftest.py fails the test on any of them.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from urllib.parse import urlsplit

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}

REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} refused ${event.blockedURI || "inline"}`
    + ` in ${event.sourceFile || event.documentURI}:${event.lineNumber}`);
});
"""


class WatchedBrowser:
    """Wrap a Playwright browser so that each new context records CSP violations and off-site requests."""

    def __init__(self, browser) -> None:
        self._browser = browser
        self.problems: list[str] = []

    def __getattr__(self, name: str):
        return getattr(self._browser, name)

    def new_context(self, **options):
        """Return a new browser context whose pages are watched."""
        context = self._browser.new_context(**options)
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", self._on_console)
        context.on("request", self._on_request)
        return context

    def new_page(self, **options):
        """Return a page in a new watched context (as Browser.new_page does)."""
        return self.new_context(**options).new_page()

    def _on_console(self, message) -> None:
        text = message.text
        if text.startswith("CSP violation") or "Content Security Policy" in text:
            where = message.page.url if message.page else "?"
            self.problems.append(f"{where}: {text}")

    def _on_request(self, request) -> None:
        parts = urlsplit(request.url)
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.hostname not in LOCAL_HOSTS:
            self.problems.append(f"request to another host: {request.url}")


@contextmanager
def watched_chromium():
    """Launch Debian's Chromium (never a downloaded browser) and yield it watched."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield WatchedBrowser(chromium)
        finally:
            chromium.close()

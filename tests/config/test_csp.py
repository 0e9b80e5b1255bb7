"""Content-Security-Policy: strict on the public site, looser only in the Wagtail admin, sent everywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.learning.factories import build_module, learner, sections_of

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
NHSUK_CSS = "wagtailnhsukfrontend/css/nhsuk-frontend-10.4.2.min.css"


def directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    policy = {}
    for part in header.split(";"):
        name, *values = part.split()
        policy[name] = values
    return policy


def assert_strict(policy: dict[str, list[str]]) -> None:
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["font-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]


def assert_no_inline_code(html: str) -> None:
    # An inline <script> (not JSON data) or a style attribute would be refused by the strict policy.
    for tag in re.findall(r"<script\b[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert not re.search(r"<style\b", html)
    assert not re.search(r"\sstyle=", html)
    assert not re.search(r"\son[a-z]+=", html)


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/accounts/signup/", "/certificates/verify/"])
def test_public_pages_send_the_strict_policy_and_carry_no_inline_code(client, path):
    build_module(slug="team")
    response = client.get(path)
    assert response.status_code == 200
    assert_strict(directives(response))
    assert_no_inline_code(response.content.decode())


def test_a_signed_in_learners_module_and_section_pages_carry_no_inline_code(client):
    module = build_module(slug="team", sections=[(1, 1), (1, 0)])
    member = learner()
    client.force_login(member.user)
    index = module.get_parent().specific
    for url in [index.get_url(), module.get_url(), *[section.get_url() for section in sections_of(module)]]:
        response = client.get(url)
        assert response.status_code == 200
        assert_strict(directives(response))
        assert_no_inline_code(response.content.decode())


def test_the_policy_is_sent_on_errors_and_redirects_too(client):
    assert_strict(directives(client.get("/no-such-page/")))
    assert_strict(directives(client.get("/practice/")))


def test_the_wagtail_admin_gets_its_own_looser_policy(client):
    from tests.accounts.factories import make_user

    client.force_login(make_user())
    policy = directives(client.get("/admin/"))
    assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
    assert policy["img-src"] == ["'self'", "data:", "blob:"]
    # Wagtail's preview frames a page inside the editor.
    assert policy["frame-ancestors"] == ["'self'"]
    assert policy["font-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert "'unsafe-eval'" not in policy["script-src"]


def test_the_admin_loads_nothing_from_other_hosts():
    assert settings.WAGTAIL_GRAVATAR_PROVIDER_URL is None
    assert settings.WAGTAIL_ENABLE_UPDATE_CHECK is False


def test_no_template_or_static_file_of_ours_names_another_host():
    # XML namespaces are names, not fetches; documentation links in help text are not loaded either.
    allowed = {"http://www.w3.org/2000/svg"}
    offenders = []
    for pattern in ("templates/**/*.html", "*/templates/**/*.html", "static/**/*", "*/static/**/*"):
        for path in ROOT.glob(pattern):
            if ".venv" in path.parts or "static_collected" in path.parts or not path.is_file():
                continue
            for url in re.findall(r"""(?:src|href|url)\s*[=(]\s*["']?(https?://[\w.-]+\.[a-z]{2,}[^"')\s]*)""", path.read_text()):
                if url not in allowed:
                    offenders.append(f"{path.relative_to(ROOT)}: {url}")
    assert offenders == []


def test_the_site_serves_the_nhsuk_stylesheet_without_its_remote_fonts_or_source_map(client):
    # The package's stylesheet declares Frutiger from assets.nhs.uk, and browsers fetched it even with
    # a local font-family override; ours is the same file less the @font-face rules and the map comment.
    import wagtailnhsukfrontend

    shipped = (Path(wagtailnhsukfrontend.__file__).parent / "static" / NHSUK_CSS).read_text()
    ours = (ROOT / "static" / "css" / Path(NHSUK_CSS).name).read_text()
    assert "@font-face" in shipped
    body = ours.split("*/\n", 1)[1]
    expected = re.sub(r"/\*# sourceMappingURL=[^*]*\*/\s*$", "", re.sub(r"@font-face\{[^}]*\}", "", shipped)).rstrip() + "\n"
    assert body == expected
    assert "http" not in body
    html = client.get("/").content.decode()
    assert f'href="/static/css/{Path(NHSUK_CSS).name}"' in html
    assert "wagtailnhsukfrontend/css/" not in html

"""Production static files: collectstatic succeeds, WhiteNoise serves them compressed and cached for good."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

from .test_settings import production_env, run_manage

PRODUCTION_STORAGE = "core.staticfiles.StaticFilesStorage"
NHSUK_CSS = "wagtailnhsukfrontend/css/nhsuk-frontend-10.4.2.min.css"

# Served through the production WSGI stack (WhiteNoise sits before everything that needs the database).
FETCH = """
from django.templatetags.static import static
from django.test import Client
url = static({name!r})
for encoding in ("br", "gzip", ""):
    response = Client().get(url, HTTP_HOST="learning.example.org", HTTP_ACCEPT_ENCODING=encoding, secure=True)
    print(url, response.status_code, response.get("Content-Encoding", "-"), response.get("Cache-Control", "-"))
"""


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """Run the README's collectstatic with production settings into a fresh directory."""
    root = tmp_path_factory.mktemp("static")
    env = production_env(DJANGO_STATIC_ROOT=str(root))
    result = run_manage(env, "collectstatic", "--no-input")
    assert result.returncode == 0, result.stdout + result.stderr
    return root, env


def test_collectstatic_succeeds_and_drops_only_the_dangling_source_map_reference(collected):
    root, _ = collected
    manifest = json.loads((root / "staticfiles.json").read_text())["paths"]
    hashed_css = root / manifest[NHSUK_CSS]
    assert hashed_css.name != Path(NHSUK_CSS).name
    assert "sourceMappingURL" not in hashed_css.read_text()
    assert "sourceMappingURL" not in (root / manifest["wagtailnhsukfrontend/js/nhsuk-frontend-10.4.2.min.js"]).read_text()
    # Compressed copies sit beside the hashed file for WhiteNoise to serve.
    assert hashed_css.with_name(hashed_css.name + ".br").exists()
    assert hashed_css.with_name(hashed_css.name + ".gz").exists()


def test_whitenoise_serves_hashed_files_compressed_with_far_future_caching(collected):
    _, env = collected
    result = run_manage(env, "shell", "-c", FETCH.format(name=NHSUK_CSS))
    assert result.returncode == 0, result.stderr
    lines = [line.split(" ", 3) for line in result.stdout.splitlines() if line.startswith("/static/")]
    assert [(status, encoding) for _, status, encoding, _ in lines] == [("200", "br"), ("200", "gzip"), ("200", "-")]
    for url, _, _, cache_control in lines:
        assert url.startswith("/static/wagtailnhsukfrontend/css/nhsuk-frontend-10.4.2.min.")
        assert url != f"/static/{NHSUK_CSS}"
        assert "max-age=315360000" in cache_control
        assert "immutable" in cache_control


def _collect(tmp_path: Path, files: dict[str, str]) -> Path:
    source, root = tmp_path / "source", tmp_path / "root"
    source.mkdir()
    for name, text in files.items():
        (source / name).write_text(text)
    with override_settings(
        STATICFILES_DIRS=[source],
        STATICFILES_FINDERS=["django.contrib.staticfiles.finders.FileSystemFinder"],
        STATIC_ROOT=root,
        STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
                  "staticfiles": {"BACKEND": PRODUCTION_STORAGE}},
    ):
        call_command("collectstatic", "--no-input", verbosity=0)
    return root


def _hashed(root: Path, name: str) -> str:
    return (root / json.loads((root / "staticfiles.json").read_text())["paths"][name]).read_text()


def test_a_missing_file_other_than_a_source_map_still_fails_collectstatic(tmp_path):
    with pytest.raises(ValueError, match="missing.png"):
        _collect(tmp_path, {"site.css": "body{background:url(missing.png)}\n"})


def test_a_shipped_source_map_is_kept_and_hashed(tmp_path):
    root = _collect(tmp_path, {
        "shipped.css": "body{color:red}\n/*# sourceMappingURL=shipped.css.map */",
        "shipped.css.map": "{}",
        "unshipped.js": "let a = 1;\n//# sourceMappingURL=unshipped.js.map",
    })
    assert "/*# sourceMappingURL=shipped.css." in _hashed(root, "shipped.css")
    assert "shipped.css.map" not in _hashed(root, "shipped.css")
    assert _hashed(root, "unshipped.js").strip() == "let a = 1;"

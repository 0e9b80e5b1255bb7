"""Uploaded media: image files are served in every environment, module documents never from /media/."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import clear_url_caches
from wagtail.documents import get_document_model
from wagtail.images import get_image_model
from wagtail.images.tests.utils import get_test_image_file

import config.urls

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[False, True], ids=["production", "debug"])
def urlconf(request, settings):
    """Build the URL map as a process with DEBUG off (production) or on (`make run`) builds it."""
    original = settings.DEBUG
    settings.DEBUG = request.param
    importlib.reload(config.urls)
    clear_url_caches()
    yield request.param
    settings.DEBUG = original
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def image():
    return get_image_model().objects.create(title="Spacer device", file=get_test_image_file())


@pytest.fixture
def document():
    """A module resource, stored under documents/ in MEDIA_ROOT."""
    return get_document_model().objects.create(
        title="Asthma action plan", file=ContentFile(b"%PDF-1.4 private resource", name="action-plan.pdf")
    )


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_an_image_rendition_and_its_original_are_served_and_cached(client, urlconf, image):
    rendition = image.get_rendition("fill-80x60")
    assert rendition.url.startswith("/media/images/")
    for url, stored in ((rendition.url, rendition.file), (image.file.url, image.file)):
        response = client.get(url)
        assert response.status_code == 200, url
        stored.open("rb")
        with stored:
            assert _body(response) == stored.read()
        assert response["Content-Type"] == "image/png"
        assert response["Cache-Control"] == "public, max-age=86400"
        assert "Last-Modified" in response
        # Unchanged since the browser's copy: no body.
        again = client.get(url, HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
        assert again.status_code == 304


def test_a_module_document_is_never_served_from_media(client, urlconf, document, settings):
    assert document.file.name == "documents/action-plan.pdf"
    assert (Path(settings.MEDIA_ROOT) / document.file.name).exists()
    assert client.get("/media/documents/action-plan.pdf").status_code == 404
    assert client.get("/media/" + document.file.name).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/media/images/../documents/action-plan.pdf",
        "/media/images/%2e%2e/documents/action-plan.pdf",
        "/media/original_images/..%2fdocuments%2faction-plan.pdf",
        "/media/images/%2E%2E%2F%2E%2E%2Foutside.png",
        "/media/images/../../outside.png",
        "/media/%2e%2e/outside.png",
        "/media/images//etc/passwd",
        "/media/images/%252e%252e/documents/action-plan.pdf",
        "/media/images/spacer%00.png",
        "/media/images/",
        "/media/images/notes.html",
        "/media/images/vector.svg",
        "/media/avatar_images/someone.png",
    ],
)
def test_traversal_and_anything_but_image_files_is_404(client, urlconf, document, settings, url):
    media = Path(settings.MEDIA_ROOT)
    (media / "images").mkdir(parents=True, exist_ok=True)
    (media / "images" / "notes.html").write_text("<script>alert(1)</script>")
    (media / "images" / "vector.svg").write_text('<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>')
    (media / "avatar_images").mkdir(exist_ok=True)
    (media / "avatar_images" / "someone.png").write_bytes(b"\x89PNG")
    (media.parent / "outside.png").write_bytes(b"\x89PNG")
    assert client.get(url).status_code == 404


def test_image_files_are_read_only(client, urlconf, image):
    rendition = image.get_rendition("fill-80x60")
    assert client.head(rendition.url).status_code == 200
    assert client.post(rendition.url).status_code == 405

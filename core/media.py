"""Serve the public part of MEDIA_ROOT, Wagtail's image files, in every environment; nothing else.

Module documents live under MEDIA_ROOT/documents/ too, but they are private: only the gated
download view (learning) and Wagtail's permission-checked /documents/ serve them. So /media/ is
not a folder served as a whole (as `django.conf.urls.static` would serve it under DEBUG), but one
route that answers for image files in `images/` (renditions) and `original_images/` and gives 404
for everything else.

Why Django's `static.serve` and not Wagtail's dynamic image serve view: pages embed renditions by
their storage URL (`{% image %}` writes /media/images/<name>), so those files must be reachable
at that address whatever else we add; Wagtail's view would be a second, signed URL scheme that
renders images on request. `static.serve` answers If-Modified-Since and streams the file; the
checks below leave it only flat file names in the two image folders, so no path can climb out.
A reverse proxy may serve these two folders itself (see the README) and take this load off Django.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, re_path
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe
from django.views.static import serve

# Wagtail writes originals to original_images/<name> and renditions to images/<name>, never deeper.
IMAGE_FOLDERS = frozenset({"images", "original_images"})
# The raster formats Wagtail reads and writes. Not SVG: an SVG may carry script, which would run
# with this site's origin if it were opened directly.
IMAGE_SUFFIXES = frozenset({".avif", ".gif", ".heic", ".ico", ".jpeg", ".jpg", ".png", ".webp"})
# One day, then revalidation by Last-Modified. Not a year: a name can come back with other
# content. Replacing an image's file stores the new file beside the old one (so under a new name)
# and deletes the old, but that freed name is reused by the next upload of a file so named, and
# the rendition names derived from it (name, filter, focal point; not content) come back too.
CACHE_SECONDS = 24 * 60 * 60


@require_safe
def serve_image_file(request: HttpRequest, path: str) -> HttpResponse:
    """Serve one Wagtail image file (an original or a rendition) from MEDIA_ROOT, or raise 404."""
    folder, _, name = path.partition("/")
    if (
        folder not in IMAGE_FOLDERS
        or not name
        or "/" in name
        or "\\" in name
        or "\x00" in name
        or name in {".", ".."}
        or PurePosixPath(name).suffix.lower() not in IMAGE_SUFFIXES
    ):
        raise Http404("No such image.")
    response = serve(request, f"{folder}/{name}", document_root=settings.MEDIA_ROOT)
    patch_cache_control(response, public=True, max_age=CACHE_SECONDS)
    return response


def media_urlpatterns() -> list[URLPattern]:
    """Return the one route under MEDIA_URL: image files, and 404 for every other path there."""
    prefix = re.escape(settings.MEDIA_URL.lstrip("/"))
    return [re_path(rf"^{prefix}(?P<path>.*)$", serve_image_file, name="media_image_file")]

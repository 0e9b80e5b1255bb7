"""Bench-only URLs: a bare view, Wagtail's own serve view for the reference page, then the project's URLs."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import include, path, re_path
from wagtail import views as wagtail_views

REFERENCE_PREFIX = "bench/wagtail/"


def bare(request):
    """Return a few bytes: the ceiling a Django view reaches on this stack."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare),
    # Wagtail's default serve view (tree walk, Site lookup, its hooks), whatever the project's URLs
    # do for pages: /bench/wagtail/<path>/ serves the page at /<path>/.
    re_path(rf"^{REFERENCE_PREFIX}(?P<path>(?:[\w\-]+/)*)$", wagtail_views.serve),
    path("", include("config.urls")),
]

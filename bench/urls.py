"""Bench-only URLs: a bare view returning a few bytes, then the project's own URLs unchanged."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import include, path


def bare(request):
    """Return a few bytes: the ceiling a Django view reaches on this stack."""
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [
    path("bench/bare/", bare),
    path("", include("config.urls")),
]

"""A URL map without the learning app, as before its tracked download view exists."""

from __future__ import annotations

from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.documents import urls as wagtaildocs_urls

urlpatterns = [
    path("documents/", include(wagtaildocs_urls)),
    path("", include(wagtail_urls)),
]

"""The address other pages link to for the module list, without a query on every page.

The header, the footer and several pages link to the module index, a Wagtail page (its address
is its slug under the home page, not a URL name), so it is looked up once and cached until any
page is published, unpublished, moved or deleted, or a Site changes (modules/receivers.py).
"""

from __future__ import annotations

from django.core.cache import cache

from core import content_cache

INDEX_URL_KEY = "modules:index-url"
INDEX_URL_SECONDS = 3600


def module_index_url() -> str:
    """Return the live module index's address, or "" when there is none."""
    url = content_cache.get(INDEX_URL_KEY)
    if url is None:
        from .models import ModuleIndexPage

        index = ModuleIndexPage.objects.live().first()
        url = (index.url or "") if index is not None else ""
        content_cache.set(INDEX_URL_KEY, url, INDEX_URL_SECONDS)
    return url


def forget_module_index_url() -> None:
    """Drop the cached address, so the next link looks the page up again."""
    cache.delete(INDEX_URL_KEY)
    content_cache.content_changed()

"""Serve Wagtail pages through a route cache instead of walking the page tree level by level.

Wagtail's serve view finds a page by looking up the Site (one query) and then each URL segment's
child page and its specific row (two queries per level: four levels for a section). Here the
path's page id and type are cached, so a page is one query. A cached route is trusted only after
the row it names has been read back: it must still be live, still at the same tree path (so a
move, a slug change, an unpublish or a delete sends the request down Wagtail's own walk, which
also rewrites or drops the entry), and the Site roots (Wagtail's own cached list, cleared when a
Site is saved) must be the ones it was found under. So a stale or per-process cache can cost a
query, never serve the wrong page. Once checked, a process keeps the page (core/content_cache.py)
until the site's content generation changes, which any save, publish, unpublish, move or delete of
a page does, or for at most a minute; while Redis is down every view reads the row again.
Receivers (modules/receivers.py) still drop a page's entries when it is published, unpublished,
moved or deleted, so the next view does not pay for the check.

Wagtail's own `check_view_restrictions` hook reads the page's ancestors and their restrictions
(two queries) on every view; `view_restrictions_exist` lets module pages skip that while the site
has no view restriction at all.
"""

from __future__ import annotations

import copy
import hashlib

from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse
from django.http.request import split_domain_port
from wagtail import hooks
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.url_routing import RouteResult

from core import content_cache

ROUTE_FORMAT = 1
ROUTE_SECONDS = 24 * 3600
RESTRICTIONS_KEY = "modules:view-restrictions-exist"
# Bounded even where each process has its own cache (SQLite deployments on local memory), where a
# restriction added through another process is only seen once this runs out.
RESTRICTIONS_SECONDS = 60


def _route_key(request: HttpRequest, path: str) -> str:
    hostname = split_domain_port(request._get_raw_host())[0]
    raw = f"{hostname}:{request.get_port()}:{path}"
    return f"modules:route:{ROUTE_FORMAT}:{hashlib.sha256(raw.encode()).hexdigest()[:32]}"


SITE_ROOTS_KEY = "modules:site-root-paths"


def site_root_paths(request: HttpRequest | None = None) -> list:
    """Return Wagtail's Site roots, kept for the request (as Wagtail's own page URLs keep them) and the process.

    Wagtail caches them in the shared cache and clears them when a Site is saved; the receivers
    that drop the module list's address on a Site change also end the content generation.
    """
    roots = getattr(request, "_wagtail_cached_site_root_paths", None) if request is not None else None
    if roots is None:
        roots = content_cache.get(SITE_ROOTS_KEY)
        if roots is None:
            roots = Site.get_site_root_paths()
            content_cache.set(SITE_ROOTS_KEY, roots, ROUTE_SECONDS)
        if request is not None:
            request._wagtail_cached_site_root_paths = roots
    return roots


def _sites_signature(request: HttpRequest) -> tuple:
    return tuple((root.site_id, root.root_path, root.root_url) for root in site_root_paths(request))


def _page_id_key(page_id: int) -> str:
    return f"modules:route-keys:{ROUTE_FORMAT}:{page_id}"


def _remember(request: HttpRequest, path: str, page: Page) -> None:
    key = _route_key(request, path)
    content_cache.set(key, (page.pk, page.content_type_id, page.path, _sites_signature(request)), ROUTE_SECONDS)
    # Remember which keys name the page, so its receivers can drop them when it changes.
    keys = cache.get(_page_id_key(page.pk)) or ()
    if key not in keys:
        cache.set(_page_id_key(page.pk), (*keys, key)[-20:], ROUTE_SECONDS)


def forget_page_routes(page_id: int) -> None:
    """Drop the cached routes to a page (after it is published, unpublished, moved or deleted)."""
    keys = cache.get(_page_id_key(page_id)) or ()
    cache.delete_many([*keys, _page_id_key(page_id)])
    content_cache.content_changed()


def _cached_page(request: HttpRequest, path: str) -> Page | None:
    key = _route_key(request, path)
    # The page as this process last read and checked it, while the content generation holds (any
    # save, publish, unpublish, move or delete of a page ends it): a copy, so nothing a request sets
    # on it reaches the next.
    kept = content_cache.local_get(("modules:route-page", key))
    if kept is not None:
        return copy.copy(kept)
    entry = content_cache.get(key)
    if entry is None:
        return None
    page_id, content_type_id, tree_path, sites = entry
    model = ContentType.objects.get_for_id(content_type_id).model_class()
    if model is None or not issubclass(model, Page):
        return None
    page = model.objects.filter(pk=page_id).first()
    if page is None or not page.live or page.path != tree_path or sites != _sites_signature(request):
        return None
    content_cache.local_set(("modules:route-page", key), copy.copy(page))
    return page


def route_for_request(request: HttpRequest, path: str) -> RouteResult | None:
    """Return the live page (with args) for the path, from the route cache or Wagtail's own walk."""
    page = _cached_page(request, path)
    if page is not None:
        return RouteResult(page)
    route = Page.route_for_request(request, path)
    if route is None:
        content_cache.delete(_route_key(request, path))
        return None
    page, args, kwargs = route
    # Only plain routes are cached: a page whose own route() consumed part of the path, or added
    # arguments, is routed by Wagtail every time.
    if not args and not kwargs and page.url_path.endswith("/" + path if path else "/"):
        _remember(request, path, page)
    return route


def serve(request: HttpRequest, path: str) -> HttpResponse:
    """Serve the page at the path exactly as wagtail.views.serve does, but find it through the route cache."""
    route = route_for_request(request, path)
    if route is None:
        raise Http404
    page, args, kwargs = route

    def serve_chain(page, request, args, kwargs):
        return page.serve(request, *args, **kwargs)

    on_serve_chain = serve_chain
    for fn in reversed(hooks.get_hooks("on_serve_page")):
        on_serve_chain = fn(on_serve_chain)
    for fn in hooks.get_hooks("before_serve_page"):
        result = fn(page, request, args, kwargs)
        if isinstance(result, HttpResponse):
            return result
    return on_serve_chain(page, request, args, kwargs)


def view_restrictions_exist() -> bool:
    """Return True if any page on the site has a view restriction (cached; one query when not)."""
    exist = content_cache.get(RESTRICTIONS_KEY)
    if exist is None:
        exist = PageViewRestriction.objects.exists()
        content_cache.set(RESTRICTIONS_KEY, exist, RESTRICTIONS_SECONDS)
    return exist


def forget_view_restrictions() -> None:
    """Make the next view ask the database whether any view restriction exists."""
    cache.delete(RESTRICTIONS_KEY)
    content_cache.content_changed()


class RestrictionCheckMixin:
    """Skip Wagtail's view-restriction queries while no page on the site has a restriction."""

    def get_view_restrictions(self):
        if not view_restrictions_exist():
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()

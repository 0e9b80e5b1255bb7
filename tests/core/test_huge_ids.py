"""Every route of ours that takes an id answers 404 for an id beyond 64 bits, on SQLite too.

Routes are discovered from the URLconf, so a new one is covered without editing this file: our
apps' own routes, and the admin routes of the viewsets our apps register.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter

from accounts.roles import ADMIN
from core.converters import IdConverter
from practices import services as practice_services
from tests.accounts.factories import sign_in_with_second_factor, staff_user
from tests.practices.factories import make_practice

from .test_admin_exports import our_model_viewsets, our_packages

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"
ID_CONVERTERS = (IntConverter, IdConverter)


def _walk(patterns, prefix="", namespace=""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, route, inner)
        elif isinstance(entry, URLPattern):
            converters = dict(getattr(entry.pattern, "converters", {}))
            yield route, namespace, converters, entry


def our_id_routes() -> list[tuple[str, dict, bool]]:
    """Return (route, converters, made by Wagtail for our admin viewset) for each of our routes with an id."""
    ours = our_packages()
    admin_namespaces = {viewset.url_namespace for viewset in our_model_viewsets()}
    found = []
    for route, namespace, converters, entry in _walk(get_resolver().url_patterns):
        callback = entry.callback
        module = getattr(getattr(callback, "view_class", callback), "__module__", "")
        by_viewset = namespace.rsplit(":", 1)[-1] in admin_namespaces
        numeric = any(isinstance(c, ID_CONVERTERS) for c in converters.values()) or "<str:pk>" in route
        if (by_viewset or module.split(".")[0] in ours) and numeric:
            found.append((route, converters, by_viewset))
    return found


def _url(route: str, converters: dict) -> str:
    def fill(match: re.Match) -> str:
        converter = converters.get(match.group(2))
        if isinstance(converter, ID_CONVERTERS) or match.group(2) == "pk":
            return HUGE
        return "x"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", fill, route)


def test_no_route_of_ours_uses_the_unbounded_int_converter():
    # Wagtail's generated admin routes look the id up through an IntegerField, which already
    # answers 404 for an out-of-range id; routes we write ourselves must use <id:...>.
    plain = [
        route for route, converters, by_viewset in our_id_routes()
        if any(type(c) is IntConverter for c in converters.values()) and not by_viewset
    ]
    assert plain == [], "use <id:...> (core.converters), which gives 404 for ids the database cannot hold"


def test_every_id_route_answers_404_for_a_huge_id(client):
    routes = our_id_routes()
    # The discovery sees our routes and the admin's for our models.
    assert {"learning/resources/<id:section_id>/<id:document_id>/", "certificates/reflections/<id:module_id>/"} <= {
        route for route, _, _ in routes
    }
    assert any(route.startswith("admin/trial_practices/") for route, _, _ in routes)
    # An admin who also leads a practice gets past every permission check to the lookup.
    user = staff_user(ADMIN)
    practice_services.start_membership(user=user, practice=make_practice(), role="gp", is_lead=True)
    sign_in_with_second_factor(client, user)
    for route, converters, by_viewset in routes:
        url = _url(route, converters)
        statuses = {client.get(url).status_code, client.post(url).status_code}
        if by_viewset:
            # Screens a viewset does not offer (editing a read-only model) refuse before any lookup.
            assert statuses <= {302, 404, 405}, (url, statuses)
        else:
            assert statuses <= {404, 405}, (url, statuses)
            assert 404 in statuses, (url, statuses)

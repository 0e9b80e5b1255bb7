"""The default Wagtail Site answers to the site's public address (DJANGO_BASE_URL).

Wagtail builds a page's absolute address (`page.full_url`, used in the admin's "page approved"
emails, for example) from the Site record's hostname and port, not from a setting. The site is
created as `localhost` port 80 (content/migrations/0002), so without this every such link read
`http://localhost/...` in development and production alike. After every `migrate` (each deploy, and
each `make run`) the default Site takes the hostname and port of `WAGTAILADMIN_BASE_URL`, which the
settings read from DJANGO_BASE_URL.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from wagtail.models import Site

logger = logging.getLogger(__name__)

DEFAULT_PORTS = {"http": 80, "https": 443}


def base_url_host_and_port(base_url: str) -> tuple[str, int]:
    """Return the hostname and port of an absolute http(s) address."""
    parts = urlsplit(base_url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise ValueError(f"Not an absolute http(s) address: {base_url!r}")
    return parts.hostname, parts.port or DEFAULT_PORTS[parts.scheme]


def sync_default_site_with_base_url(**kwargs) -> Site | None:
    """Give the default Site the hostname and port of WAGTAILADMIN_BASE_URL (a post_migrate receiver)."""
    base_url = getattr(settings, "WAGTAILADMIN_BASE_URL", "")
    try:
        hostname, port = base_url_host_and_port(base_url)
    except ValueError:
        logger.warning("WAGTAILADMIN_BASE_URL %r is not an absolute http(s) address; the Site is unchanged.", base_url)
        return None
    if urlsplit(base_url).scheme == "https" and port != 443:
        # Wagtail writes any port but 443 as http://host:port, so such an address cannot be expressed.
        logger.warning("Wagtail cannot express https on port %s; pages' absolute links will say http.", port)
    site = Site.objects.filter(is_default_site=True).first()
    if site is None or (site.hostname, site.port) == (hostname, port):
        return site
    site.hostname, site.port = hostname, port
    site.save(update_fields=["hostname", "port"])  # save(), not update(): Wagtail drops its cached site roots
    return site

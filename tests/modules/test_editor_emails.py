"""Emails from the admin (sign-off notifications) link to the site's public address, DJANGO_BASE_URL."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.management import call_command
from wagtail.models import Site

from accounts.roles import EDITOR, MODERATOR
from content.sites import base_url_host_and_port, sync_default_site_with_base_url
from modules.models import SectionPage
from modules.selectors import module_sections

from .factories import build_module, staff_user

pytestmark = pytest.mark.django_db

BASE_URL = "https://learning.example.org"


def _links(message) -> list[str]:
    bodies = [message.body] + [content for content, _ in getattr(message, "alternatives", [])]
    return [link for body in bodies for link in re.findall(r"https?://[^\s\"'<>]+", body)]


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://learning.example.org", ("learning.example.org", 443)),
        ("http://127.0.0.1:8000", ("127.0.0.1", 8000)),
        ("http://testserver", ("testserver", 80)),
    ],
)
def test_the_site_record_takes_the_base_urls_host_and_port(base_url, expected):
    assert base_url_host_and_port(base_url) == expected


def test_migrate_gives_the_default_site_the_public_address(settings):
    build_module(sections=0)
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "localhost", 80
    site.save()
    settings.WAGTAILADMIN_BASE_URL = BASE_URL

    call_command("migrate", verbosity=0)

    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port) == ("learning.example.org", 443)
    assert site.root_url == BASE_URL
    # Run again with nothing to change: the record stays as it is.
    assert sync_default_site_with_base_url() == site


def test_sign_off_emails_link_to_the_configured_base_url(settings, django_capture_on_commit_callbacks):
    settings.WAGTAILADMIN_BASE_URL = BASE_URL
    editor = staff_user(EDITOR)
    moderator = staff_user(MODERATOR)
    module = build_module(sections=1)
    # As after any deploy: migrate set the Site from DJANGO_BASE_URL (it starts as localhost:80).
    site = Site.objects.get(is_default_site=True)
    site.hostname, site.port = "localhost", 80
    site.save()
    call_command("migrate", verbosity=0)
    section = SectionPage.objects.get(pk=module_sections(module)[0].pk)
    section.title = "Corrected wording"
    section.save_revision(user=editor)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        workflow_state = section.get_workflow().start(section, editor)
    submitted = [m for m in mail.outbox if moderator.email in m.to]
    assert submitted, [m.subject for m in mail.outbox]

    mail.outbox.clear()
    task_state = workflow_state.current_task_state
    with django_capture_on_commit_callbacks(execute=True):
        task_state.task.specific.on_action(task_state, moderator, "approve")
    approved = [m for m in mail.outbox if editor.email in m.to]
    assert approved, [m.subject for m in mail.outbox]

    links = [link for message in submitted + approved for link in _links(message)]
    assert links
    assert all(link.startswith(BASE_URL + "/") for link in links), links
    section.refresh_from_db()
    # The "approved" email links to the live page at its public address.
    assert f"{BASE_URL}{section.url}" in links

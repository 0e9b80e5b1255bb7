"""Build module pages and staff users through Wagtail's own publish path."""

from __future__ import annotations

import uuid
from typing import Any

from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale, Page, Site

from content.models import HomePage
from modules.models import ModuleIndexPage, ModulePage, SectionPage


def _unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def home_page() -> Page:
    """Return the site's home page, recreating the tree if a transactional test flushed it."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is not None:
        return site.root_page
    # A flush recreates content types under new ids; drop the cached old ones.
    ContentType.objects.clear_cache()
    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(instance=HomePage(title="Practice asthma learning", slug="home"))
    Site.objects.create(hostname="localhost", root_page=home, is_default_site=True)
    return home


def publish(page: Page, user=None) -> None:
    """Publish the page's current state as a new revision, as the editor's Publish button does."""
    page.save_revision(user=user).publish(user=user)


def module_index() -> ModuleIndexPage:
    index = ModuleIndexPage.objects.first()
    if index is None:
        index = home_page().add_child(instance=ModuleIndexPage(title="Modules", slug="modules", live=False))
        publish(index)
    return index


def rich_text(html: str) -> dict[str, Any]:
    return {"type": "rich_text", "value": html, "id": str(uuid.uuid4())}


def knowledge_check(question: str, options: list[tuple[str, bool]], *, kind: str = "single") -> dict[str, Any]:
    """Return raw StreamField data for a knowledge check, with ids on the block and its options."""
    return {
        "type": "knowledge_check",
        "id": str(uuid.uuid4()),
        "value": {
            "question": question,
            "kind": kind,
            "hint": "",
            "explanation": "<p>Because.</p>",
            "options": [
                {"type": "item", "id": str(uuid.uuid4()), "value": {"text": text, "is_correct": ok, "feedback": ""}}
                for text, ok in options
            ],
        },
    }


def build_module(
    *,
    slug: str | None = None,
    sections: int = 3,
    checks_per_section: int = 0,
    publish_pages: bool = True,
    **fields: Any,
) -> ModulePage:
    """Create a module with numbered sections, each published through a revision unless told not to."""
    defaults = {
        "title": "Test module", "summary": "A module for tests.", "kind": "team",
        "estimated_minutes": 30, "cpd_hours": "0.50",
    }
    defaults.update(fields)
    module = module_index().add_child(instance=ModulePage(slug=slug or _unique("module"), live=False, **defaults))
    if publish_pages:
        publish(module)
    for number in range(1, sections + 1):
        body = [rich_text(f"<p>Section {number} text.</p>")]
        body += [
            knowledge_check(f"Question {number}.{i}?", [("Right", True), ("Wrong", False)])
            for i in range(1, checks_per_section + 1)
        ]
        section = module.add_child(
            instance=SectionPage(title=f"Section {number}", slug=f"section-{number}", weight=1, body=body, live=False)
        )
        if publish_pages:
            publish(section)
    # Publishing works on a copy made from the revision; hand back the page as stored.
    return ModulePage.objects.get(pk=module.pk)


def staff_user(*groups: str, superuser: bool = False, totp: bool = True):
    """Return a user in the named groups, with an authenticator app unless told otherwise."""
    User = get_user_model()
    email = f"{_unique('staff')}@example.org"
    if superuser:
        user = User.objects.create_superuser(email=email, password="a-Long-passw0rd")
    else:
        user = User.objects.create_user(email=email, password="a-Long-passw0rd")
    for name in groups:
        user.groups.add(Group.objects.get(name=name))
    if totp:
        TOTP.activate(user, generate_totp_secret())
    return user

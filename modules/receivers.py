"""Receivers for Wagtail's page signals: number module versions, and keep caches fresh.

Publishing that changes what learners see records a new module version (after commit); cached
module structures, page routes and the module index's address are dropped when pages change.
"""

from __future__ import annotations

from functools import partial

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.log_actions import get_active_log_context
from wagtail.models import Page, PageLogEntry, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move, workflow_approved

from core.content_cache import content_changed

from .links import forget_module_index_url
from .models import ModulePage, SectionPage
from .routing import forget_page_routes, forget_view_restrictions
from .services import publish_signed_off_sections, record_module_version, unpublish_module_sections
from .structure import forget_module_structure, section_module_id


def _forget_for(page) -> None:
    specific = getattr(page, "specific_deferred", page)
    if isinstance(specific, ModulePage):
        forget_module_structure(specific.pk)
    elif isinstance(specific, SectionPage):
        module_id = section_module_id(specific)
        if module_id is not None:
            forget_module_structure(module_id)


@receiver(page_published)
@receiver(page_unpublished)
def on_page_published_or_unpublished(sender, instance, **kwargs) -> None:
    _forget_for(instance)


@receiver(post_page_move)
def on_page_moved(sender, instance, parent_page_before, parent_page_after, **kwargs) -> None:
    # A section moved between modules changes both.
    for parent in (parent_page_before, parent_page_after):
        if isinstance(parent.specific_deferred, ModulePage):
            forget_module_structure(parent.pk)
    _forget_for(instance)


@receiver(post_delete, sender=SectionPage)
def on_section_deleted(sender, instance, **kwargs) -> None:
    # The parent row may already be gone in a cascade; the path still names it.
    module_id = section_module_id(instance)
    if module_id is not None:
        forget_module_structure(module_id)


# Routes: a cached route is checked against the page row on every use (modules/routing.py), so
# these only spare the next view that check. A move changes the paths of the whole subtree.


@receiver(page_published)
@receiver(page_unpublished)
@receiver(post_delete, sender=Page)
def on_page_changed_forget_routes(sender, instance, **kwargs) -> None:
    forget_page_routes(instance.pk)


@receiver(post_page_move)
def on_page_moved_forget_routes(sender, instance, **kwargs) -> None:
    for page_id in Page.objects.descendant_of(instance, inclusive=True).values_list("pk", flat=True):
        forget_page_routes(page_id)


@receiver(post_save, sender=PageViewRestriction)
@receiver(post_delete, sender=PageViewRestriction)
def on_view_restriction_changed(sender, instance, **kwargs) -> None:
    # Now and after commit: a view between the two would otherwise cache the old answer again.
    forget_view_restrictions()
    transaction.on_commit(forget_view_restrictions)


@receiver(page_published)
@receiver(page_unpublished)
@receiver(post_page_move)
@receiver(post_delete, sender=Page)
@receiver(post_save, sender=Site)
@receiver(post_delete, sender=Site)
def on_page_or_site_changed_forget_index_url(sender, instance, **kwargs) -> None:
    # Any page: the index's own address changes with its ancestors' slugs and moves.
    forget_module_index_url()
    transaction.on_commit(forget_module_index_url)


# ---- A module is unpublished as one unit: its live sections go with it, whatever unpublished it
# (the admin's unpublish with or without "unpublish these too", a scheduled expiry, a retirement).


UNPUBLISH_ACTIONS = ("wagtail.unpublish", "modules.retire")


def _acting_user(page: Page, actions: tuple[str, ...]):
    # Wagtail logs the action (with its user) before it sends the signal; in an admin request the
    # log context names the user too.
    entry = (
        PageLogEntry.objects.filter(page_id=page.pk, action__in=actions)
        .select_related("user")
        .order_by("-timestamp", "-pk")
        .first()
    )
    if entry is not None and entry.user is not None:
        return entry.user
    return get_active_log_context().user


@receiver(page_unpublished, sender=ModulePage)
def on_module_unpublished_unpublish_sections(sender, instance, **kwargs) -> None:
    unpublish_module_sections(module=instance, user=_acting_user(instance, UNPUBLISH_ACTIONS))


# ---- A module is signed off as one unit: approving it publishes its sections' drafts (what the
# approver saw in the whole-module preview), in the approval's transaction, so one version results.


@receiver(workflow_approved)
def on_module_signed_off_publish_sections(sender, instance, user=None, **kwargs) -> None:
    page = instance.content_object
    specific = page.specific if isinstance(page, Page) else None
    if isinstance(specific, ModulePage):
        publish_signed_off_sections(module=specific, user=user)


# ---- Module versions: a publish that changes what learners see numbers a new version.


def _versioned_module_id(page: Page) -> int | None:
    if isinstance(page, ModulePage):
        return page.pk
    if isinstance(page, SectionPage):
        return section_module_id(page)
    return None


def _publisher(*, page_id: int, revision_id: int | None, fallback_user_id: int | None):
    """Return who published or unpublished: the log entry's user, else the admin request's, else the revision's author."""
    entries = PageLogEntry.objects.filter(page_id=page_id).select_related("user").order_by("-timestamp", "-pk")
    if revision_id is not None:
        # The publish log entry names who published (an approver, say), unlike the revision,
        # which names who wrote it. A scheduled publish names whoever scheduled it.
        entry = entries.filter(revision_id=revision_id, action__startswith="wagtail.publish", user__isnull=False).first()
    else:
        entry = entries.filter(action__in=UNPUBLISH_ACTIONS, user__isnull=False).first()
    if entry is not None:
        return entry.user
    if fallback_user_id is not None:
        return get_user_model().objects.filter(pk=fallback_user_id).first()
    return None


def _record_version(*, module_id: int, page_id: int, revision_id: int | None, fallback_user_id: int | None) -> None:
    module = ModulePage.objects.filter(pk=module_id).first()
    if module is None:
        return
    publisher = _publisher(page_id=page_id, revision_id=revision_id, fallback_user_id=fallback_user_id)
    # Without a note, the version describes the sections added, unpublished or retired since the last.
    record_module_version(module=module, published_by=publisher)


def _schedule_version(page: Page, revision) -> None:
    specific = page.specific
    module_id = _versioned_module_id(specific)
    if module_id is None:
        return
    # Read now, while the request that publishes is still running: outside a transaction the
    # callback below runs at once, before Wagtail writes its log entry, so the admin's log
    # context (the signed-in user) and the revision's author are the fallbacks for who did it.
    context_user = get_active_log_context().user
    fallback_user_id = getattr(context_user, "pk", None) or (getattr(revision, "user_id", None) if revision else None)
    # After commit: a publish rolled back records nothing, and several pages published in one
    # transaction (e.g. a whole module) become one version.
    transaction.on_commit(
        partial(
            _record_version, module_id=module_id, page_id=page.pk, revision_id=revision.pk if revision else None,
            fallback_user_id=fallback_user_id,
        )
    )


@receiver(page_published)
def on_page_published_record_version(sender, instance, revision, **kwargs) -> None:
    _schedule_version(instance, revision)


@receiver(page_unpublished)
def on_page_unpublished_record_version(sender, instance, **kwargs) -> None:
    _schedule_version(instance, None)


@receiver(post_save, dispatch_uid="modules_page_saved_end_content_generation")
def on_page_saved_end_content_generation(sender, instance, **kwargs) -> None:
    # Any save of a page (of any type, so no sender filter), not only a publish: processes keep
    # pages they served while the content generation holds (core/content_cache.py).
    if isinstance(instance, Page):
        content_changed()

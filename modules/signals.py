"""Number a new module version whenever publishing changes what a module's learners see."""

from __future__ import annotations

from functools import partial

from django.db import transaction
from django.dispatch import receiver
from wagtail.models import Page, PageLogEntry
from wagtail.signals import page_published, page_unpublished

from .models import ModulePage, SectionPage
from .services import record_module_version
from .structure import section_module_id


def _module_id(page: Page) -> int | None:
    if isinstance(page, ModulePage):
        return page.pk
    if isinstance(page, SectionPage):
        return section_module_id(page)
    return None


def _record(*, module_id: int, page_id: int, revision_id: int | None) -> None:
    module = ModulePage.objects.filter(pk=module_id).first()
    if module is None:
        return
    publisher = None
    if revision_id is not None:
        # The publish log entry names who published (an approver, say), unlike the revision,
        # which names who wrote it.
        entry = (
            PageLogEntry.objects.filter(page_id=page_id, revision_id=revision_id, action__startswith="wagtail.publish")
            .select_related("user")
            .order_by("-timestamp")
            .first()
        )
        publisher = entry.user if entry else None
    record_module_version(module=module, published_by=publisher)


def _schedule(page: Page, revision_id: int | None) -> None:
    module_id = _module_id(page.specific)
    if module_id is None:
        return
    # After commit: a publish rolled back records nothing, and several pages published in one
    # transaction (e.g. a whole module) become one version.
    transaction.on_commit(partial(_record, module_id=module_id, page_id=page.pk, revision_id=revision_id))


@receiver(page_published)
def on_page_published(sender, instance, revision, **kwargs) -> None:
    _schedule(instance, revision.pk if revision is not None else None)


@receiver(page_unpublished)
def on_page_unpublished(sender, instance, **kwargs) -> None:
    _schedule(instance, None)

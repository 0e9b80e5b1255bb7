"""Keep cached module structures fresh when editors publish, unpublish, move or delete pages."""

from __future__ import annotations

from django.db.models.signals import post_delete
from django.dispatch import receiver
from wagtail.signals import page_published, page_unpublished, post_page_move

from .models import ModulePage, SectionPage
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

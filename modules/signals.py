"""Number a new module version whenever a module or one of its sections is published."""

from __future__ import annotations

from django.db import transaction
from django.dispatch import receiver
from wagtail.signals import page_published

from .services import record_module_version


@receiver(page_published)
def on_page_published(sender, instance, revision, **kwargs) -> None:
    from .models import ModulePage, SectionPage

    page = instance.specific
    if isinstance(page, ModulePage):
        module = page
    elif isinstance(page, SectionPage):
        module = page.get_parent().specific
    else:
        return
    user = getattr(revision, "user", None)
    transaction.on_commit(lambda: record_module_version(module=module, published_by=user))

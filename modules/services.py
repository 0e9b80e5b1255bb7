"""Writes for modules: numbering published versions."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .models import ModulePage, ModuleVersion, SectionPage


@transaction.atomic
def record_module_version(*, module: ModulePage, published_by=None) -> ModuleVersion:
    """Append the module's next version, snapshotting the live revision of it and its sections."""
    # Lock the module row so two simultaneous publishes cannot take the same number.
    ModulePage.objects.select_for_update().filter(pk=module.pk).first()
    revisions = {str(module.pk): module.live_revision_id}
    for section in SectionPage.objects.child_of(module).live().only("pk", "live_revision_id"):
        revisions[str(section.pk)] = section.live_revision_id
    latest = ModuleVersion.objects.filter(module=module).order_by("-number").first()
    if latest is not None and latest.revisions == revisions:
        return latest
    number = (ModuleVersion.objects.filter(module=module).aggregate(n=Max("number"))["n"] or 0) + 1
    return ModuleVersion.objects.create(
        module=module, number=number, published_at=timezone.now(), published_by=published_by, revisions=revisions
    )


def current_version_number(module: ModulePage) -> int:
    """Return the module's latest version number (1 if none was recorded yet)."""
    number = ModuleVersion.objects.filter(module_id=module.pk).aggregate(n=Max("number"))["n"]
    return number or 1

"""Reads about modules: their live sections, knowledge checks and current version."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .models import ModuleIndexPage, ModulePage, ModuleVersion, SectionPage
from .structure import KNOWLEDGE_CHECK

if TYPE_CHECKING:
    from wagtail.blocks import StructValue


def live_modules(index: ModuleIndexPage) -> list[ModulePage]:
    """Return the index's live modules in tree order (one query)."""
    return list(ModulePage.objects.child_of(index).live().order_by("path"))


def module_sections(module: ModulePage) -> list[SectionPage]:
    """Return the module's live sections in tree order (one query)."""
    return list(SectionPage.objects.child_of(module).live().order_by("path"))


def section_neighbours(
    section: SectionPage, module: ModulePage
) -> tuple[list[SectionPage], SectionPage | None, SectionPage | None]:
    """Return the module's live sections with the live sections before and after this one (one query)."""
    sections = module_sections(module)
    ids = [s.pk for s in sections]
    if section.pk not in ids:
        # A draft section seen in preview has no place among the live ones.
        return sections, None, None
    i = ids.index(section.pk)
    previous_section = sections[i - 1] if i > 0 else None
    next_section = sections[i + 1] if i + 1 < len(sections) else None
    return sections, previous_section, next_section


def knowledge_checks(section: SectionPage) -> list[tuple[str, StructValue]]:
    """Return (block id, value) for each knowledge check in the section's body, in page order."""
    return [(block.id, block.value) for block in section.body if block.block_type == KNOWLEDGE_CHECK]


def current_version(module: ModulePage) -> ModuleVersion | None:
    """Return the module's latest recorded version, or None if it was never published."""
    return ModuleVersion.objects.filter(module_id=module.pk).order_by("-number").first()

"""What a module is: its live sections in order, their weights and knowledge checks, and its targets.

The one home for a module's shape. Everything that needs a section's module, a module's completion
threshold or pass mark, or the sections' checks and weights reads it here; `learning` turns these
numbers into its measures (learning/measures.py) without reading the page fields itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from wagtail.models import Page

from core import content_cache

from .models import ModulePage, SectionPage
from .services import current_version_number

KNOWLEDGE_CHECK = "knowledge_check"
STRUCTURE_CACHE_SECONDS = 3600
# Bump when ModuleStructure/SectionInfo change shape, so pickles from an older release are ignored.
STRUCTURE_FORMAT = 3


# --- The one section-to-module lookup ------------------------------------------------------------


def _module_path(section: Page) -> str:
    # A section is always a direct child of its module (SectionPage.parent_page_types), so the
    # module's tree path is the section's without its last step.
    return section.path[: -Page.steplen]


def section_module(section: Page, *, live: bool = False) -> ModulePage | None:
    """Return the module a section belongs to (live only if asked), or None (one query)."""
    modules = ModulePage.objects.filter(path=_module_path(section))
    if live:
        modules = modules.live()
    return modules.first()


def section_module_id(section: Page) -> int | None:
    """Return the id of the module a section belongs to, or None (one query, no page fields read)."""
    return Page.objects.filter(path=_module_path(section)).values_list("pk", flat=True).first()


# --- Targets: completion threshold and pass mark as numbers ----------------------------------------


@dataclass(frozen=True)
class CompletionTargets:
    """A module's completion threshold and knowledge-check pass mark, as whole percentages."""

    threshold: int
    pass_mark: int | None = None


def completion_targets(module: ModulePage) -> CompletionTargets:
    """Return the module's completion threshold and pass mark (no query)."""
    return CompletionTargets(threshold=module.completion_threshold, pass_mark=module.pass_mark)


# --- Sections, checks and documents ----------------------------------------------------------------


def knowledge_check_ids(section: SectionPage) -> tuple[str, ...]:
    """Return the stable block ids of the section's knowledge checks, in page order."""
    return tuple(block.id for block in section.body if block.block_type == KNOWLEDGE_CHECK)


_DOCUMENT_LINK = re.compile(r"""<a\s[^>]*linktype=["']document["'][^>]*\bid=["'](\d+)["']""")
_DOCUMENT_LINK_REVERSED = re.compile(r"""<a\s[^>]*\bid=["'](\d+)["'][^>]*linktype=["']document["']""")


def _document_ids_in(raw: Any) -> set[int]:
    found: set[int] = set()
    if isinstance(raw, dict):
        if raw.get("type") == "resource" and isinstance(raw.get("value"), dict):
            document = raw["value"].get("document")
            if isinstance(document, int):
                found.add(document)
        for value in raw.values():
            found |= _document_ids_in(value)
    elif isinstance(raw, list):
        for value in raw:
            found |= _document_ids_in(value)
    elif isinstance(raw, str) and "document" in raw:
        found |= {int(n) for n in _DOCUMENT_LINK.findall(raw)} | {int(n) for n in _DOCUMENT_LINK_REVERSED.findall(raw)}
    return found


def section_document_ids(section: SectionPage) -> set[int]:
    """Return the ids of documents the section's body offers: resource blocks and document links."""
    return _document_ids_in(list(section.body.raw_data))


@dataclass(frozen=True)
class SectionInfo:
    """What the measures need to know about one live section."""

    id: int
    title: str
    url_path: str
    weight: int
    check_ids: tuple[str, ...]
    url: str = ""
    number: int = 0  # 1-based position in the module


@dataclass(frozen=True)
class ModuleStructure:
    """A module's live sections, weights, knowledge checks and completion targets at one version."""

    module_id: int
    version: int
    targets: CompletionTargets
    sections: tuple[SectionInfo, ...]
    weights: dict[int, int] = field(default_factory=dict)

    @property
    def check_ids(self) -> set[str]:
        """Return the ids of every knowledge check in the module's live sections."""
        return {check_id for section in self.sections for check_id in section.check_ids}

    def section(self, section_id: int) -> SectionInfo | None:
        """Return the live section with this id, or None."""
        for section in self.sections:
            if section.id == section_id:
                return section
        return None

    def position(self, section_id: int) -> int | None:
        """Return the 1-based position of the section in the module, or None if it is not live."""
        info = self.section(section_id)
        return info.number if info else None

    def neighbours(self, section_id: int) -> tuple[SectionInfo | None, SectionInfo | None]:
        """Return the sections before and after section_id in module order."""
        ids = [s.id for s in self.sections]
        if section_id not in ids:
            return None, None
        index = ids.index(section_id)
        previous = self.sections[index - 1] if index > 0 else None
        following = self.sections[index + 1] if index + 1 < len(self.sections) else None
        return previous, following


def _build_structure(module: ModulePage, version: int) -> ModuleStructure:
    sections = []
    for number, section in enumerate(SectionPage.objects.child_of(module).live().order_by("path"), start=1):
        sections.append(
            SectionInfo(
                id=section.pk,
                title=section.title,
                url_path=section.url_path,
                weight=section.weight,
                check_ids=knowledge_check_ids(section),
                url=section.get_url() or "",
                number=number,
            )
        )
    return ModuleStructure(
        module_id=module.pk,
        version=version,
        targets=completion_targets(module),
        sections=tuple(sections),
        weights={s.id: s.weight for s in sections},
    )


def _generation_key(module_id: int) -> str:
    return f"modules:structure-generation:{module_id}"


def forget_module_structure(module_id: int) -> None:
    """Make the next read rebuild the module's cached structure (after a publish, move or delete)."""
    key = _generation_key(module_id)
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, None)
    content_cache.content_changed()


def _generation(module_id: int) -> int:
    return content_cache.get(_generation_key(module_id), 0)


def current_module_version(module: ModulePage) -> int:
    """Return the module's current version number, cached until its structure is next forgotten."""
    # The generation is read before the database, so a version recorded in between (which
    # forgets the structure after its commit) leaves this entry already stale.
    generation = _generation(module.pk)
    key = f"modules:version:{STRUCTURE_FORMAT}:{module.pk}"
    entry = content_cache.get(key)
    if entry is not None and entry[0] == generation:
        return entry[1]
    version = current_version_number(module)
    content_cache.set(key, (generation, version), STRUCTURE_CACHE_SECONDS)
    return version


def cached_section_module(section: Page) -> ModulePage | None:
    """Return the module a section belongs to, cached with the module's structure (no query when warm).

    The entry is keyed by the module's tree path (the section's path names it) and holds the
    module's generation, so publishing, unpublishing, moving or deleting the module or any of its
    sections (forget_module_structure) makes it stale.
    """
    key = f"modules:module-at:{STRUCTURE_FORMAT}:{_module_path(section)}"
    entry = content_cache.get(key)
    if entry is not None:
        module_id, generation, module = entry
        if _generation(module_id) == generation:
            return module
    module_id = section_module_id(section)
    if module_id is None:
        return None
    # The generation is read before the module's row, so a change committed in between leaves
    # this entry already stale rather than holding old fields under a new generation.
    generation = _generation(module_id)
    module = ModulePage.objects.filter(pk=module_id).first()
    if module is not None:
        content_cache.set(key, (module.pk, generation, module), STRUCTURE_CACHE_SECONDS)
    return module


def module_structure(module: ModulePage, *, version: int | None = None) -> ModuleStructure:
    """Return the module's structure at its current version, cached per version."""
    version = version if version is not None else current_module_version(module)
    # The generation changes whenever the module or a section is published, unpublished, moved or
    # deleted, so slugs, order and titles never go stale even when the version number stays.
    generation = _generation(module.pk)
    targets = completion_targets(module)
    key = (
        f"modules:structure:{STRUCTURE_FORMAT}:{module.pk}:{version}:{generation}:"
        f"{targets.threshold}:{targets.pass_mark}"
    )
    structure = content_cache.get(key)
    if structure is None:
        structure = _build_structure(module, version)
        content_cache.set(key, structure, STRUCTURE_CACHE_SECONDS)
    return structure

"""Reads about modules: their live sections, knowledge checks and current version."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .models import ModuleIndexPage, ModulePage, ModuleVersion, ProposalStatus, SectionPage, StructureProposal
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


@dataclass(frozen=True)
class DraftSection:
    """A section as its latest draft reads, and how it stands now (for the whole-module preview)."""

    section: SectionPage
    status: str  # "live", "changed" (live, with a newer draft) or "new" (never published)
    number: int  # 0 for a section a proposed structure change takes out of the module
    # Under a proposed structure change: the module it moves to, or retired; and whether it changes place.
    moves_to: str = ""
    retired: bool = False
    reordered: bool = False


def signed_off_with_module(section: SectionPage) -> bool:
    """Return True if the module's sign-off publishes this section's latest draft.

    That is a live section with a newer draft, or a section never published; not a retired one,
    and not one someone unpublished (it stays unpublished until it is published on its own).
    """
    if section.retired_at is not None or section.latest_revision_id is None:
        return False
    if section.live:
        return section.latest_revision_id != section.live_revision_id
    return section.first_published_at is None


def draft_module_sections(module: ModulePage) -> list[DraftSection]:
    """Return the module's sections as they will read once the module is signed off, in tree order.

    Live sections as they are (or as their latest draft, if the sign-off publishes it) and new
    sections as drafted; retired and unpublished sections are left out, as they will be then.
    """
    rows = []
    children = SectionPage.objects.child_of(module).filter(retired_at__isnull=True).order_by("path")
    for child in children:
        goes_live = signed_off_with_module(child)
        if not (child.live or goes_live):
            continue
        if goes_live:
            draft = child.get_latest_revision_as_object()
            status = "changed" if child.live else "new"
        else:
            draft, status = child, "live"
        rows.append(DraftSection(section=draft, status=status, number=len(rows) + 1))
    return rows


def proposed_module_sections(proposal: StructureProposal) -> tuple[list[DraftSection], list[DraftSection]]:
    """Return the draft module's sections as a proposed structure change would leave them, and those it takes out.

    The first list is in the proposed order, numbered; the second holds the sections that move to
    another module or are retired (numbered 0), in the module's current order.
    """
    rows = draft_module_sections(proposal.module)
    placed = {row["section"]: row for row in proposal.placements}
    titles = dict(
        ModulePage.objects.filter(pk__in={row["module"] for row in proposal.placements}).values_list("pk", "title")
    )
    staying, leaving = [], []
    for index, row in enumerate(rows):
        placement = placed.get(row.section.pk)
        if placement is None:  # added since the proposal was made: it stays where it is, last
            staying.append((len(rows) + index, row))
        elif placement.get("retire"):
            leaving.append(replace(row, number=0, retired=True))
        elif placement["module"] != proposal.module_id:
            leaving.append(replace(row, number=0, moves_to=titles.get(placement["module"], "another module")))
        else:
            staying.append((placement["position"], row))
    before = [row.section.pk for _, row in staying]  # tree order, among the sections that stay
    staying.sort(key=lambda pair: (pair[0], pair[1].section.path))
    kept_in_order = _longest_kept_order([before.index(row.section.pk) for _, row in staying])
    ordered = [
        replace(row, number=number, reordered=number - 1 not in kept_in_order)
        for number, (_, row) in enumerate(staying, start=1)
    ]
    return ordered, leaving


def _longest_kept_order(old_positions: list[int]) -> set[int]:
    """Return the new positions of the most sections that keep their order (the rest are the ones "moved").

    Moving one section to the front shifts every other's number; only that one is marked moved.
    """
    # Longest increasing subsequence of the sections' old positions, in their new order (n is small).
    best: list[list[int]] = []
    for index, old in enumerate(old_positions):
        chains = [chain for j, chain in enumerate(best) if old_positions[j] < old]
        best.append([*max(chains, key=len, default=[]), index])
    return set(max(best, key=len, default=[]))


def pending_structure_proposals(module: ModulePage | None = None):
    """Return the structure proposals waiting for a moderator (of one module, if given), oldest first."""
    proposals = StructureProposal.objects.filter(status=ProposalStatus.PENDING).select_related("module", "proposed_by")
    if module is not None:
        proposals = proposals.filter(module_id=module.pk)
    return proposals.order_by("proposed_at", "pk")

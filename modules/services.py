"""Writes for modules: numbering versions, unpublishing a module as one unit, retiring pages, structure changes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from wagtail.blocks import StreamValue
from wagtail.models import Page

from .models import RETIREMENT_FIELDS, ModulePage, ModuleVersion, ProposalStatus, SectionPage, StructureProposal

if TYPE_CHECKING:
    from accounts.models import User

# Page fields every page has that learners see; the rest of Page's fields are tree and workflow
# bookkeeping that change on every publish.
_SHARED_CONTENT_FIELDS = ("title",)


def _content_fields(model: type[Page]) -> list[str]:
    own = [
        field.name
        for field in model._meta.get_fields(include_parents=False)
        if getattr(field, "concrete", False) and not field.auto_created and field.name != "page_ptr"
        and field.name not in RETIREMENT_FIELDS
    ]
    return [*_SHARED_CONTENT_FIELDS, *own]


def _plain(value: Any) -> Any:
    # StreamField values become their stored JSON (block ids included, so a reordered or
    # re-identified block counts as a change).
    return value.get_prep_value() if isinstance(value, StreamValue) else value


def _content_hash(rows: list[dict[str, Any]]) -> str:
    """Hash the learner-visible fields of the module and its live sections, in tree order."""
    parts = [{name: _plain(value) for name, value in row.items()} for row in rows]
    encoded = json.dumps(parts, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


@transaction.atomic
def record_module_version(
    *, module: ModulePage, published_by: User | None = None, change_note: str = "",
    proposed_by: User | None = None,
) -> ModuleVersion | None:
    """Append the module's next version if its live content changed; return the current version.

    Returns None while the module itself is not live: its sections' publishes are folded into the
    version recorded when the module goes live. Without a note, sections added or taken away
    since the previous version are described (several pages published together, as a module's
    sign-off does, make one version, whichever page's publish records it).
    """
    # Lock the module's own row so two simultaneous publishes cannot take the same number, and
    # read its state fresh: the caller's instance may predate a later publish. A live page's row
    # holds its published content (drafts live only in revisions).
    module_fields = _content_fields(ModulePage)
    state = (
        ModulePage.objects.select_for_update(of=("self",))
        .filter(pk=module.pk)
        .values("pk", "live", "live_revision_id", "path", "depth", *module_fields)
        .first()
    )
    if state is None or not state["live"]:
        return None
    sections = list(
        SectionPage.objects.filter(path__startswith=state["path"], depth=state["depth"] + 1, live=True)
        .order_by("path")
        .values("pk", "live_revision_id", *_content_fields(SectionPage))
    )
    rows = [
        {"pk": state["pk"], **{name: state[name] for name in module_fields}},
        *({key: value for key, value in row.items() if key != "live_revision_id"} for row in sections),
    ]
    content_hash = _content_hash(rows)
    latest = ModuleVersion.objects.filter(module_id=module.pk).order_by("-number").first()
    if latest is not None and latest.content_hash == content_hash:
        return latest
    revisions = {str(state["pk"]): state["live_revision_id"]}
    revisions.update({str(row["pk"]): row["live_revision_id"] for row in sections})
    # The current version number is cached with the module's structure (modules/structure.py):
    # forget it now for this transaction and again after commit for everyone else.
    _forget_structure(module.pk)
    transaction.on_commit(lambda: _forget_structure(module.pk))
    change_note = change_note.strip()
    if not change_note and latest is not None:
        change_note = _describe_section_changes(before=latest.revisions, after=revisions, module_id=module.pk)
    return ModuleVersion.objects.create(
        module_id=module.pk,
        number=(latest.number if latest else 0) + 1,
        published_at=timezone.now(),
        published_by=published_by,
        proposed_by=proposed_by,
        revisions=revisions,
        content_hash=content_hash,
        change_note=change_note,
    )


def _describe_section_changes(*, before: dict[str, Any], after: dict[str, Any], module_id: int) -> str:
    """Describe the sections a new version adds or takes away ("" if only content changed)."""
    added = [int(pk) for pk in after if pk not in before and int(pk) != module_id]
    gone = [int(pk) for pk in before if pk not in after and int(pk) != module_id]
    pages = SectionPage.objects.in_bulk(added + gone)
    notes = []
    for pk in gone:
        page = pages.get(pk)
        if page is None:
            continue
        # (A section moved to another module leaves with the structure change's own note.)
        if page.retired_at is not None:
            notes.append(f"Section “{page.title}” retired: {page.retirement_note}")
        else:
            notes.append(f"Section “{page.title}” unpublished.")
    notes += [f"Section “{pages[pk].title}” added." for pk in added if pk in pages]
    return " ".join(notes)


def sync_module_versions() -> list[ModuleVersion]:
    """Record a version for any live module whose published content has none; return each current version.

    Versions are normally recorded just after a publish commits; this catches one lost to a
    crash between the commit and that step. Safe to run at any time.
    """
    recorded = []
    for module in ModulePage.objects.live().only("pk"):
        version = record_module_version(module=module)
        if version is not None:
            recorded.append(version)
    return recorded


def _forget_structure(module_id: int) -> None:
    from .structure import forget_module_structure  # structure reads versions through this module

    forget_module_structure(module_id)


def current_version_number(module: ModulePage) -> int:
    """Return the module's latest version number (1 if none was recorded yet)."""
    latest = ModuleVersion.objects.filter(module_id=module.pk).order_by("-number").values_list("number").first()
    return latest[0] if latest else 1


def unpublish_module_sections(*, module: ModulePage, user: User | None = None) -> list[SectionPage]:
    """Unpublish every live section of a module that is no longer live; return the sections unpublished.

    A module is published and unpublished as one unit: learners must never reach a section of a
    module that is not live. Each section's unpublish is logged under the acting user.
    """
    from wagtail.actions.unpublish_page import UnpublishPageAction

    if ModulePage.objects.filter(pk=module.pk, live=True).exists():
        return []
    sections = list(SectionPage.objects.child_of(module).live().order_by("path"))
    for section in sections:
        UnpublishPageAction(section, user=user).execute(skip_permission_checks=True)
    return sections


@transaction.atomic
def retire_page(*, page: ModulePage | SectionPage, user: User, note: str) -> ModulePage | SectionPage:
    """Retire a module or section: unpublish it (a module with its sections) and freeze it, keeping every record.

    Retirement replaces deletion for content learners have used: their events, completions and
    certificates keep pointing at it, and the trial's reports keep counting it.
    """
    from wagtail.actions.unpublish_page import UnpublishPageAction

    note = (note or "").strip()
    if not note:
        raise ValidationError("Say why this is retired: the note is kept with the page and its module's versions.")
    page = type(page).objects.select_for_update().get(pk=page.pk)
    if page.is_retired:
        raise ValidationError(f"“{page.title}” is already retired.")
    # A draft waiting for sign-off would otherwise publish the retired page again.
    workflow_state = page.current_workflow_state
    if workflow_state is not None:
        workflow_state.cancel(user=user)
    type(page).objects.filter(pk=page.pk).update(retired_at=timezone.now(), retired_by=user, retirement_note=note)
    page.refresh_from_db()
    if page.live:
        # Unpublishing a module takes its sections with it (modules/receivers.py); a section's
        # unpublish records the module's next version, which carries this note.
        UnpublishPageAction(page, user=user, log_action="modules.retire").execute(skip_permission_checks=True)
    return page


@transaction.atomic
def reinstate_page(*, page: ModulePage | SectionPage, user: User) -> ModulePage | SectionPage:
    """Lift a page's retirement; it stays unpublished until it is published again through sign-off."""
    from wagtail.log_actions import log

    page = type(page).objects.select_for_update().get(pk=page.pk)
    if not page.is_retired:
        raise ValidationError(f"“{page.title}” is not retired.")
    type(page).objects.filter(pk=page.pk).update(retired_at=None, retired_by=None, retirement_note="")
    log(instance=page, action="modules.reinstate", user=user)
    page.refresh_from_db()
    return page


@dataclass(frozen=True)
class SectionPlacement:
    """Where a section goes in a structure change: its module and its 1-based position there, or retired."""

    section: SectionPage
    module: ModulePage
    position: int
    # Retired in place: unpublished and kept (retire_page), with the change's note.
    retire: bool = False


def _check_structure_change(*, module: ModulePage, placements: list[SectionPlacement]) -> list[SectionPlacement]:
    """Validate a structure change of the module; return the placements in their new order, or raise ValidationError."""
    from .activity import activity_for_pages

    children = {page.pk: page for page in SectionPage.objects.child_of(module)}
    if sorted(p.section.pk for p in placements) != sorted(children):
        raise ValidationError("Place every section of the module exactly once.")
    for placement in placements:
        current = children[placement.section.pk]
        if placement.retire and placement.module.pk != module.pk:
            raise ValidationError(f"“{current.title}” cannot be both retired and moved to another module.")
        if placement.retire and current.retired_at is not None:
            raise ValidationError(f"“{current.title}” is already retired.")
    moving = [p for p in placements if p.module.pk != module.pk]
    for placement in moving:
        if placement.module.retired_at is not None:
            raise ValidationError(f"“{placement.module.title}” is retired: no section can move to it.")
        if activity_for_pages([placement.section.pk]).exists:
            raise ValidationError(
                f"“{placement.section.title}” has learner activity, so it cannot move to another module: "
                "retire it here and add a new section to the other module."
            )
        if not Page._slug_is_available(placement.section.slug, placement.module, page=placement.section):
            raise ValidationError(
                f"“{placement.module.title}” already has a section at the address “{placement.section.slug}”."
            )
    staying = sorted((p for p in placements if p.module.pk == module.pk), key=lambda p: (p.position, p.section.path))
    before = [page.pk for page in SectionPage.objects.child_of(module).order_by("path")]
    if not moving and not any(p.retire for p in placements) and [p.section.pk for p in staying] == before:
        raise ValidationError("Nothing changed: the sections are already in this order in this module.")
    return staying


@transaction.atomic
def change_module_structure(
    *, module: ModulePage, placements: list[SectionPlacement], user: User, change_note: str,
    proposed_by: User | None = None,
) -> list[ModuleVersion]:
    """Reorder, move or retire a module's sections, then number each changed module's next version.

    Rule for learners' progress: a section with learner activity never changes module (it is
    retired, and a new section added where it is wanted), so every progress row and event keeps
    naming the module its section belongs to. Reordering keeps every learner's progress: progress
    is kept per section, and engagement weighs sections by weight, not position. Editors propose
    structure changes (`propose_structure_change`); this runs when a moderator approves one.
    """
    change_note = (change_note or "").strip()
    if not change_note:
        raise ValidationError("Describe the change: the note is shown in the versions report and on learners' records.")
    staying = _check_structure_change(module=module, placements=placements)
    moving = [p for p in placements if p.module.pk != module.pk]
    from wagtail.actions.move_page import MovePageAction

    for placement in placements:
        if placement.retire:
            # Unpublished and frozen; the version recorded below carries this change's note.
            retire_page(page=SectionPage.objects.get(pk=placement.section.pk), user=user, note=change_note)
    # Sections are never moved by Wagtail's own Move (SectionPermissionTester), so its permission
    # check would refuse; the caller checked the user may publish every module touched.
    for placement in moving:
        section = SectionPage.objects.get(pk=placement.section.pk)
        MovePageAction(section, placement.module, pos="last-child", user=user).execute(skip_permission_checks=True)
    # Re-append the staying sections in their new order (each move keeps the tree consistent).
    for placement in staying:
        section = SectionPage.objects.get(pk=placement.section.pk)
        MovePageAction(section, module, pos="last-child", user=user).execute(skip_permission_checks=True)
    affected = [module, *{p.module.pk: p.module for p in moving}.values()]
    versions = []
    for changed in affected:
        _forget_structure(changed.pk)
        version = record_module_version(
            module=changed, published_by=user, change_note=change_note, proposed_by=proposed_by
        )
        if version is not None:
            versions.append(version)
    return versions


# ---- Structure proposals: editors propose, a moderator approves (applying the change) or rejects.


def _placements_data(placements: list[SectionPlacement]) -> list[dict[str, Any]]:
    return [
        {"section": p.section.pk, "module": p.module.pk, "position": p.position, "retire": p.retire}
        for p in placements
    ]


def proposal_placements(proposal: StructureProposal) -> list[SectionPlacement]:
    """Return a proposal's placements with their pages; raise ValidationError if a page has gone since."""
    rows = proposal.placements
    sections = SectionPage.objects.in_bulk([row["section"] for row in rows])
    modules = ModulePage.objects.in_bulk({row["module"] for row in rows})
    placements = []
    for row in rows:
        section, target = sections.get(row["section"]), modules.get(row["module"])
        if section is None or target is None:
            raise ValidationError("A section or module this proposal names has been deleted since it was made.")
        placements.append(
            SectionPlacement(section=section, module=target, position=row["position"], retire=row.get("retire", False))
        )
    return placements


def _structure_state(module: ModulePage) -> tuple[int | None, list[int]]:
    latest = ModuleVersion.objects.filter(module_id=module.pk).order_by("-number").values_list("number").first()
    sections = list(SectionPage.objects.child_of(module).order_by("path").values_list("pk", flat=True))
    return (latest[0] if latest else None), sections


def proposal_staleness(proposal: StructureProposal) -> str:
    """Return why a pending proposal no longer fits its module (a newer version or other sections), or ""."""
    module = proposal.module
    if module.retired_at is not None:
        return f"“{module.title}” has been retired since this proposal was made: its structure no longer changes."
    number, sections = _structure_state(module)
    if number != proposal.based_on_version:
        based_on = f"version {proposal.based_on_version}" if proposal.based_on_version else "an unpublished draft"
        now = f"version {number}" if number else "unpublished"
        return (
            f"This proposal was made from {based_on} of “{module.title}”, which is now {now}: someone has changed "
            "the module since. Reject it, and propose the change again from the module's current structure."
        )
    if sections != proposal.sections_before:
        return (
            f"“{module.title}”'s sections have been added to, moved or reordered since this proposal was made. "
            "Reject it, and propose the change again from the module's current structure."
        )
    return ""


@transaction.atomic
def propose_structure_change(
    *, module: ModulePage, placements: list[SectionPlacement], user: User, change_note: str
) -> StructureProposal:
    """Store a proposed structure change for a moderator to approve; nothing changes for learners yet."""
    from wagtail.log_actions import log

    change_note = (change_note or "").strip()
    if not change_note:
        raise ValidationError("Describe the change: the note is shown in the versions report and on learners' records.")
    if module.retired_at is not None:
        raise ValidationError(f"“{module.title}” is retired: its structure cannot change.")
    _check_structure_change(module=module, placements=placements)
    number, sections = _structure_state(module)
    proposal = StructureProposal.objects.create(
        module=module, proposed_by=user, proposed_at=timezone.now(), change_note=change_note,
        placements=_placements_data(placements), based_on_version=number, sections_before=sections,
    )
    log(
        instance=module, action="modules.propose_structure", user=user,
        data={"proposal": proposal.pk, "note": change_note, "based_on_version": number},
    )
    return proposal


def _pending(proposal: StructureProposal) -> StructureProposal:
    locked = StructureProposal.objects.select_for_update().select_related("module").get(pk=proposal.pk)
    if not locked.is_pending:
        raise ValidationError(f"This proposal was already {locked.get_status_display().lower()}.")
    return locked


@transaction.atomic
def approve_structure_proposal(*, proposal: StructureProposal, user: User, comment: str = "") -> list[ModuleVersion]:
    """Apply a pending proposal's structure change under the approver's name; return the versions it numbered.

    Nobody approves their own proposal: a structure change is signed off by a second person, as
    content is. A proposal made from a structure that has changed since cannot be approved.
    """
    from wagtail.log_actions import log

    proposal = _pending(proposal)
    if proposal.proposed_by_id is not None and proposal.proposed_by_id == user.pk:
        raise ValidationError("You proposed this change, so another moderator must approve it.")
    # Lock the module's row so no other structure change slips in between the check and the change.
    module = ModulePage.objects.select_for_update(of=("self",)).get(pk=proposal.module_id)
    stale = proposal_staleness(proposal)
    if stale:
        raise ValidationError(stale)
    versions = change_module_structure(
        module=module, placements=proposal_placements(proposal), user=user,
        change_note=proposal.change_note, proposed_by=proposal.proposed_by,
    )
    proposal.status = ProposalStatus.APPROVED
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.decision_comment = (comment or "").strip()
    proposal.published_versions = {str(v.module_id): v.number for v in versions}
    proposal.save()
    log(
        instance=module, action="modules.approve_structure", user=user,
        data={"proposal": proposal.pk, "note": proposal.change_note, "comment": proposal.decision_comment,
              "versions": proposal.published_versions},
    )
    return versions


@transaction.atomic
def reject_structure_proposal(*, proposal: StructureProposal, user: User, comment: str) -> StructureProposal:
    """Reject a pending proposal with a comment to its proposer; nothing changes."""
    from wagtail.log_actions import log

    comment = (comment or "").strip()
    if not comment:
        raise ValidationError("Say why the change is rejected: the proposer reads your comment.")
    proposal = _pending(proposal)
    proposal.status = ProposalStatus.REJECTED
    proposal.decided_by = user
    proposal.decided_at = timezone.now()
    proposal.decision_comment = comment
    proposal.save()
    log(
        instance=proposal.module, action="modules.reject_structure", user=user,
        data={"proposal": proposal.pk, "note": proposal.change_note, "comment": comment},
    )
    return proposal


def publish_signed_off_sections(*, module: ModulePage, user: User | None) -> list[SectionPage]:
    """Publish the drafts of the module's sections that its sign-off covers (see selectors.signed_off_with_module).

    Called when the module's sign-off is approved, inside Wagtail's approval transaction, so the
    module and its sections become one module version, published by the approver.
    """
    from .selectors import signed_off_with_module

    published = []
    for section in SectionPage.objects.child_of(module).order_by("path"):
        if signed_off_with_module(section):
            section.get_latest_revision().publish(user=user)
            published.append(section)
    return published

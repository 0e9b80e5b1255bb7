"""Writes for modules: numbering published versions, unpublishing a module as one unit, retiring pages."""

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

from .models import RETIREMENT_FIELDS, ModulePage, ModuleVersion, SectionPage

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
    *, module: ModulePage, published_by: User | None = None, change_note: str = ""
) -> ModuleVersion | None:
    """Append the module's next version if its live content changed; return the current version.

    Returns None while the module itself is not live: its sections' publishes are folded into the
    version recorded when the module goes live.
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
    return ModuleVersion.objects.create(
        module_id=module.pk,
        number=(latest.number if latest else 0) + 1,
        published_at=timezone.now(),
        published_by=published_by,
        revisions=revisions,
        content_hash=content_hash,
        change_note=change_note.strip(),
    )


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
    """Where a section goes in a structure change: its module and its 1-based position there."""

    section: SectionPage
    module: ModulePage
    position: int


@transaction.atomic
def change_module_structure(
    *, module: ModulePage, placements: list[SectionPlacement], user: User, change_note: str
) -> list[ModuleVersion]:
    """Reorder a module's sections and move some to other modules, then number each changed module's next version.

    Rule for learners' progress: a section with learner activity never changes module (it is
    retired, and a new section added where it is wanted), so every progress row and event keeps
    naming the module its section belongs to. Reordering keeps every learner's progress: progress
    is kept per section, and engagement weighs sections by weight, not position.
    """
    from .activity import activity_for_pages

    change_note = (change_note or "").strip()
    if not change_note:
        raise ValidationError("Describe the change: the note is shown in the versions report and on learners' records.")
    children = {page.pk: page for page in SectionPage.objects.child_of(module)}
    if sorted(p.section.pk for p in placements) != sorted(children):
        raise ValidationError("Place every section of the module exactly once.")
    moving = [p for p in placements if p.module.pk != module.pk]
    for placement in moving:
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
    if not moving and [p.section.pk for p in staying] == before:
        raise ValidationError("Nothing changed: the sections are already in this order in this module.")
    from wagtail.actions.move_page import MovePageAction

    # Sections are never moved by Wagtail's own Move (SectionPermissionTester), so its permission
    # check would refuse; the view calling this checked the user may publish every module touched.
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
        version = record_module_version(module=changed, published_by=user, change_note=change_note)
        if version is not None:
            versions.append(version)
    return versions


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

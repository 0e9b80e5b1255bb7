"""The whole-module preview: the draft module as the approver signs it off, questions answerable, nothing recorded.

Wagtail's preview of a module (`ModulePage.serve_preview`, also the sign-off task's) and the
admin's own preview (`admin_views.whole_preview`, which also shows a proposed structure change)
render the same template from `whole_preview_context`. An approver's answer is posted to the
admin's preview and marked by the rule learners' answers are marked by (`modules.hooks`), then
shown with the feedback a learner would read. Neither view passes through the learning gate, and
marking writes nothing, so nothing is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.core.exceptions import ValidationError
from django.middleware.csrf import get_token
from django.template.loader import get_template
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import SafeString

from .hooks import mark_knowledge_check
from .selectors import DraftSection, draft_module_sections, pending_structure_proposals, proposed_module_sections
from .structure import KNOWLEDGE_CHECK

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import ModulePage, StructureProposal

CHECK_TEMPLATE = "modules/blocks/knowledge_check.html"


@dataclass(frozen=True)
class PreviewAnswer:
    """The options an approver chose for one knowledge check in the preview."""

    block_id: str
    option_ids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PreviewRow:
    """A section of the preview and its body: blocks to render, and knowledge checks already rendered."""

    draft: DraftSection
    body: list[dict[str, Any]]


def _admin_address(name: str, pk: int) -> str | None:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:  # a URL map without the admin (modules on its own)
        return None


def preview_address(module: ModulePage, proposal: StructureProposal | None = None) -> str | None:
    """Return the admin's whole-module preview address (with a proposed structure change), or None without the admin."""
    url = _admin_address("modules_admin:preview", module.pk)
    if url is None or proposal is None:
        return url
    return f"{url}?{urlencode({'proposal': proposal.pk})}"


def _answer_address(base: str, block_id: str) -> str:
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}{urlencode({'check': block_id})}#check-{block_id}"


def _render_check(block, *, request: HttpRequest, answer: PreviewAnswer | None, base: str | None) -> SafeString:
    given = answer.option_ids if answer is not None and answer.block_id == block.id else None
    error = None
    try:
        check, marked = mark_knowledge_check(block, given)
    except ValidationError as invalid:
        check, marked = mark_knowledge_check(block)
        error = {"message": " ".join(invalid.messages)}
    selected = set(marked.selected_option_ids) if marked is not None else set()
    options = [
        {"option": option, "index": index, "selected": option.id in selected}
        for index, option in enumerate(check.options, start=1)
    ]
    return get_template(CHECK_TEMPLATE).render(
        {
            "check": check,
            "options": options,
            "answer": marked,
            "chosen": [row["option"] for row in options if row["selected"]],
            "error": error,
            "can_answer": base is not None,
            "action": _answer_address(base, block.id) if base is not None else "",
            "csrf_token": get_token(request),
            "is_tracked": False,
        }
    )


def _rows(drafts: list[DraftSection], *, request, answer, base, with_body: bool = True) -> list[PreviewRow]:
    rows = []
    for draft in drafts:
        body = []
        if with_body:
            for block in draft.section.body:
                if block.block_type == KNOWLEDGE_CHECK:
                    body.append({"check_html": _render_check(block, request=request, answer=answer, base=base)})
                else:
                    body.append({"block": block})
        rows.append(PreviewRow(draft=draft, body=body))
    return rows


def check_ids(module: ModulePage, proposal: StructureProposal | None = None) -> set[str]:
    """Return the ids of the knowledge checks the preview shows (those an approver may answer)."""
    drafts = proposed_module_sections(proposal)[0] if proposal is not None else draft_module_sections(module)
    return {block.id for draft in drafts for block in draft.section.body if block.block_type == KNOWLEDGE_CHECK}


def whole_preview_context(
    *, module: ModulePage, request: HttpRequest, proposal: StructureProposal | None = None,
    answer: PreviewAnswer | None = None,
) -> dict[str, Any]:
    """Return the whole-module preview's context: the draft sections (as a proposal would order them), checks rendered."""
    base = preview_address(module, proposal)
    if proposal is not None:
        staying, leaving = proposed_module_sections(proposal)
    else:
        staying, leaving = draft_module_sections(module), []
    pending = [] if proposal is not None else list(pending_structure_proposals(module))
    return {
        "page": module, "self": module, "is_preview": True, "request": request,
        "sections": _rows(staying, request=request, answer=answer, base=base),
        "leaving": _rows(leaving, request=request, answer=None, base=None, with_body=False),
        "proposal": proposal,
        "pending_proposals": [(p, _admin_address("modules_admin:proposal", p.pk)) for p in pending],
    }

"""Admin views for modules: refuse deleting what learners used, retire, propose and approve structure changes, preview."""

from __future__ import annotations

from django import forms
from django.contrib.admin.utils import NestedObjects
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from wagtail.admin import messages
from wagtail.models import Page
from wagtail.permission_policies.pages import PagePermissionPolicy

from .activity import activity_in_subtree
from .models import ModulePage, SectionPage, StructureProposal
from .preview import PreviewAnswer, check_ids, preview_address, whole_preview_context
from .selectors import pending_structure_proposals
from .services import (
    SectionPlacement,
    approve_structure_proposal,
    proposal_staleness,
    propose_structure_change,
    reinstate_page,
    reject_structure_proposal,
    retire_page,
)

RETIRABLE = (ModulePage, SectionPage)


class RetireForm(forms.Form):
    note = forms.CharField(
        label="Why is this being retired?",
        help_text="Kept with the page and shown in the module's versions report.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why this is being retired."},
    )


def _retirable(page_id: int) -> ModulePage | SectionPage:
    page = get_object_or_404(Page, pk=page_id).specific
    if not isinstance(page, RETIRABLE):
        raise Http404("Only modules and sections are retired.")
    return page


def may_retire(page: Page, user) -> bool:
    """Return True if the user may retire or reinstate the page (those who may publish it: moderators, admins)."""
    # Not can_unpublish(), which is false for a page that is not live (a retired one, say).
    return page.permissions_for_user(user).can_publish()


def protected_records(page: Page) -> dict[str, int]:
    """Return, by kind, the records that would stop the page (and its subtree) from being deleted."""
    collector = NestedObjects(using=router.db_for_write(Page))
    collector.collect(list(Page.objects.descendant_of(page, inclusive=True)))
    counts: dict[str, int] = {}
    for obj in collector.protected:
        name = str(obj._meta.verbose_name_plural)
        counts[name] = counts.get(name, 0) + 1
    return counts


def refuse_delete_with_activity(request: HttpRequest, page: Page):
    """Refuse (Wagtail's `before_delete_page`) to delete a page whose subtree holds learner activity or kept records."""
    activity = activity_in_subtree(page)
    protected = protected_records(page) if not activity.exists else {}
    if not activity.exists and not protected:
        return None
    specific = page.specific
    context = {
        "page": specific,
        "activity": activity,
        "protected": sorted(protected.items()),
        "retirable": isinstance(specific, RETIRABLE) and not specific.is_retired,
        "may_retire": isinstance(specific, RETIRABLE) and may_retire(specific, request.user),
    }
    status = 409 if request.method == "POST" else 200
    return TemplateResponse(request, "modules/admin/delete_refused.html", context, status=status)


def retire(request: HttpRequest, page_id: int) -> HttpResponse:
    """Ask why, then retire a module or section (unpublished and kept, with every learner record)."""
    page = _retirable(page_id)
    if not may_retire(page, request.user):
        raise PermissionDenied
    if page.is_retired:
        messages.warning(request, f"“{page.title}” is already retired.")
        return redirect("wagtailadmin_explore", page.get_parent().pk)
    form = RetireForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            retire_page(page=page, user=request.user, note=form.cleaned_data["note"])
        except ValidationError as error:
            form.add_error("note", error)
        else:
            messages.success(request, f"“{page.title}” retired. Learners can no longer open it; every record is kept.")
            return redirect("wagtailadmin_explore", page.get_parent().pk)
    context = {
        "page": page,
        "form": form,
        "activity": activity_in_subtree(page),
        "live_section_count": SectionPage.objects.child_of(page).live().count() if isinstance(page, ModulePage) else 0,
    }
    return TemplateResponse(request, "modules/admin/confirm_retire.html", context, status=400 if form.errors else 200)


def reinstate(request: HttpRequest, page_id: int) -> HttpResponse:
    """Lift a retirement (the page stays unpublished until it goes through sign-off again)."""
    page = _retirable(page_id)
    if not may_retire(page, request.user):
        raise PermissionDenied
    if request.method == "POST":
        try:
            reinstate_page(page=page, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"“{page.title}” reinstated as a draft; publish it through sign-off when ready.")
        return redirect("wagtailadmin_pages:edit", page.pk)
    return TemplateResponse(request, "modules/admin/retired.html", {"page": page, "may_retire": True})


def refuse_editing_retired(request: HttpRequest, page: Page):
    """Show a retired page's retirement instead of its editor (Wagtail's `before_edit_page`)."""
    specific = page.specific
    if not isinstance(specific, RETIRABLE) or not specific.is_retired:
        return None
    context = {"page": specific, "may_retire": may_retire(specific, request.user)}
    return TemplateResponse(request, "modules/admin/retired.html", context)



RETIRE = "retire"


class StructureForm(forms.Form):
    """Each section's position and module (or retirement), and the required change note, for one module."""

    change_note = forms.CharField(
        label="What changed, and why?",
        help_text="Required. Shown in the module versions report and beside this version on learners' records.",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Describe the change: it is shown in the versions report and on learners' records."},
    )

    def __init__(self, *args, module: ModulePage, sections: list[SectionPage], modules: list[ModulePage], **kwargs):
        super().__init__(*args, **kwargs)
        self.module = module
        self.sections = sections
        self.modules = {str(m.pk): m for m in modules}
        self.modules.setdefault(str(module.pk), module)
        count = len(sections)
        for number, section in enumerate(sections, start=1):
            self.fields[f"position_{section.pk}"] = forms.IntegerField(
                label=f"Position of “{section.title}”", min_value=1, max_value=max(count, 1), initial=number,
                error_messages={
                    "required": f"Give “{section.title}” a position from 1 to {count}.",
                    "min_value": f"Give “{section.title}” a position from 1 to {count}.",
                    "max_value": f"Give “{section.title}” a position from 1 to {count}.",
                    "invalid": f"Give “{section.title}” a position from 1 to {count}.",
                },
            )
            choices = [(key, m.title) for key, m in self.modules.items()]
            if not section.is_retired:
                choices.append((RETIRE, "Retire it (unpublish and keep every record)"))
            self.fields[f"module_{section.pk}"] = forms.ChoiceField(
                label=f"Module of “{section.title}”", choices=choices, initial=str(module.pk),
                error_messages={"invalid_choice": f"Choose a module for “{section.title}”, or retire it."},
            )

    def rows(self):
        """Return each section with its two fields, in the module's current order."""
        return [
            (section, self[f"position_{section.pk}"], self[f"module_{section.pk}"]) for section in self.sections
        ]

    def clean(self):
        cleaned = super().clean()
        here = (str(self.module.pk), RETIRE)
        positions = [cleaned.get(f"position_{s.pk}") for s in self.sections if cleaned.get(f"module_{s.pk}") in here]
        if None not in positions and len(set(positions)) != len(positions):
            raise ValidationError("Give each section that stays in this module a different position.")
        return cleaned

    def placements(self) -> list[SectionPlacement]:
        placements = []
        for section in self.sections:
            choice = self.cleaned_data[f"module_{section.pk}"]
            placements.append(
                SectionPlacement(
                    section=section,
                    module=self.module if choice == RETIRE else self.modules[choice],
                    position=self.cleaned_data[f"position_{section.pk}"],
                    retire=choice == RETIRE,
                )
            )
        return placements


def may_propose(page: Page, user) -> bool:
    """Return True if the user may propose a structure change to the module (whoever may edit it: editors up)."""
    return page.permissions_for_user(user).can_edit()


def change_structure(request: HttpRequest, page_id: int) -> HttpResponse:
    """Propose reordering, moving or retiring a module's sections, with a required note, for a moderator to approve."""
    module = get_object_or_404(ModulePage, pk=page_id)
    if module.is_retired:
        return refuse_editing_retired(request, module)
    if not may_propose(module, request.user):
        raise PermissionDenied
    sections = list(SectionPage.objects.child_of(module).order_by("path"))
    modules = [
        m for m in ModulePage.objects.filter(retired_at__isnull=True).order_by("path") if may_propose(m, request.user)
    ]
    form = StructureForm(request.POST or None, module=module, sections=sections, modules=modules)
    if request.method == "POST" and form.is_valid():
        try:
            proposal = propose_structure_change(
                module=module, placements=form.placements(), user=request.user,
                change_note=form.cleaned_data["change_note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request, "Structure change proposed. Learners see it once a moderator approves it; nothing has changed yet."
            )
            return redirect("modules_admin:proposal", proposal.pk)
    status = 400 if form.errors else 200
    context = {"page": module, "form": form, "pending": pending_structure_proposals(module)}
    return TemplateResponse(request, "modules/admin/change_structure.html", context, status=status)


# ---- Structure proposals: who proposed what, the moderator's decision, and the whole-module preview.


class DecisionForm(forms.Form):
    """A moderator's decision on a structure proposal, with a comment (required to reject)."""

    decision = forms.ChoiceField(
        choices=[("approve", "Approve"), ("reject", "Reject")], widget=forms.HiddenInput,
        error_messages={"required": "Choose to approve or reject.", "invalid_choice": "Choose to approve or reject."},
    )
    comment = forms.CharField(
        label="Comment for the proposer",
        help_text="Required to reject: say why. Optional when approving.",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _proposal_modules(proposal: StructureProposal) -> list[ModulePage]:
    ids = {proposal.module_id, *(row["module"] for row in proposal.placements)}
    return list(ModulePage.objects.filter(pk__in=ids))


def may_decide(proposal: StructureProposal, user) -> bool:
    """Return True if the user may approve or reject the proposal: they may publish every module it changes."""
    return all(may_retire(module, user) for module in _proposal_modules(proposal))


def _proposal_rows(proposal: StructureProposal) -> list[dict]:
    sections = SectionPage.objects.in_bulk([row["section"] for row in proposal.placements])
    titles = dict(ModulePage.objects.filter(pk__in=[r["module"] for r in proposal.placements]).values_list("pk", "title"))
    before = {pk: number for number, pk in enumerate(proposal.sections_before, start=1)}
    rows = []
    for row in proposal.placements:
        section = sections.get(row["section"])
        if row.get("retire"):
            change = "Retired"
        elif row["module"] != proposal.module_id:
            change = f"Moves to “{titles.get(row['module'], 'a deleted module')}”"
        else:
            change = f"Position {row['position']}"
        rows.append({
            "title": section.title if section else "(deleted section)",
            "before": before.get(row["section"]),
            "change": change,
            "position": row["position"] if not row.get("retire") and row["module"] == proposal.module_id else None,
        })
    # Retired and moving sections after those that stay, each group in its proposed or current order.
    return sorted(rows, key=lambda r: (r["position"] is None, r["position"] or r["before"] or 0))


def proposal_detail(request: HttpRequest, proposal_id: int) -> HttpResponse:
    """Show a structure proposal, its staleness and its preview; a moderator approves or rejects it."""
    proposals = StructureProposal.objects.select_related("module", "proposed_by", "decided_by")
    proposal = get_object_or_404(proposals, pk=proposal_id)
    module = proposal.module
    if not may_propose(module, request.user):
        raise PermissionDenied
    deciding = may_decide(proposal, request.user)
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if not deciding:
            raise PermissionDenied
        if form.is_valid():
            try:
                if form.cleaned_data["decision"] == "approve":
                    versions = approve_structure_proposal(
                        proposal=proposal, user=request.user, comment=form.cleaned_data["comment"]
                    )
                    numbers = ", ".join(f"“{v.module.title}” version {v.number}" for v in versions) or "no new version"
                    messages.success(request, f"Structure change approved and published: {numbers}.")
                else:
                    reject_structure_proposal(proposal=proposal, user=request.user, comment=form.cleaned_data["comment"])
                    messages.success(request, "Structure change rejected; nothing changed. The proposer sees your comment.")
            except ValidationError as error:
                form.add_error("comment" if form.cleaned_data["decision"] == "reject" else None, error)
            else:
                return redirect("modules_admin:proposal", proposal.pk)
        status = 400
        proposal.refresh_from_db()
    context = {
        "proposal": proposal,
        "page": module,
        "rows": _proposal_rows(proposal),
        "stale": proposal_staleness(proposal) if proposal.is_pending else "",
        "may_decide": deciding and proposal.is_pending,
        "own": proposal.proposed_by_id == request.user.pk,
        "form": form,
        "preview_url": preview_address(module, proposal),
    }
    return TemplateResponse(request, "modules/admin/proposal.html", context, status=status)


def proposal_list(request: HttpRequest) -> HttpResponse:
    """List the structure proposals waiting for a moderator, and the latest decided ones."""
    user = request.user
    if not PagePermissionPolicy().user_has_any_permission(user, {"change", "publish"}):
        raise PermissionDenied
    visible = [p for p in StructureProposal.objects.select_related("module", "proposed_by", "decided_by")[:200]
               if may_propose(p.module, user)]
    context = {
        "pending": sorted((p for p in visible if p.is_pending), key=lambda p: (p.proposed_at, p.pk)),
        "decided": [p for p in visible if not p.is_pending][:20],
    }
    return TemplateResponse(request, "modules/admin/proposal_list.html", context)


@xframe_options_sameorigin
def whole_preview(request: HttpRequest, page_id: int) -> HttpResponse:
    """Show the whole draft module (with a proposed structure change, if asked); mark an answer posted to it.

    Framed by Wagtail's editor when an answer is posted from its preview panel. Nothing is recorded.
    """
    page = get_object_or_404(ModulePage, pk=page_id)
    perms = page.permissions_for_user(request.user)
    if not (perms.can_edit() or perms.can_publish()):
        raise PermissionDenied
    module = page.get_latest_revision_as_object()
    proposal = None
    if "proposal" in request.GET:
        try:
            proposal_id = int(request.GET["proposal"])
        except ValueError:
            raise Http404("No such proposal.") from None
        proposal = get_object_or_404(StructureProposal, pk=proposal_id, module_id=page.pk)
    answer = None
    status = 200
    if request.method == "POST":
        block_id = request.GET.get("check", "")
        if block_id not in check_ids(module, proposal):
            messages.error(request, "That question is not in this module's draft any more. Answer it again below.")
            status = 400
        else:
            answer = PreviewAnswer(block_id=block_id, option_ids=request.POST.getlist("answer"))
    context = whole_preview_context(module=module, request=request, proposal=proposal, answer=answer)
    return TemplateResponse(request, "modules/module_whole_preview.html", context, status=status)


def refuse_bulk_delete_with_activity(request: HttpRequest, action_type: str, objects, action):
    """Refuse (Wagtail's `before_bulk_action`) a bulk delete when any chosen page holds learner activity or kept records."""
    if action_type != "delete":
        return None
    for obj in objects:
        if isinstance(obj, Page):
            refused = refuse_delete_with_activity(request, obj)
            if refused is not None:
                return refused
    return None

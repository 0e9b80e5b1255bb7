"""Admin views for modules' structure: refuse to delete what learners used, retire or reinstate, change the structure."""

from __future__ import annotations

from django import forms
from django.contrib.admin.utils import NestedObjects
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import router
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from wagtail.admin import messages
from wagtail.models import Page

from .activity import activity_in_subtree
from .models import ModulePage, SectionPage
from .services import SectionPlacement, change_module_structure, reinstate_page, retire_page

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



class StructureForm(forms.Form):
    """Each section's position and module, and the required change note, for one module."""

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
            self.fields[f"module_{section.pk}"] = forms.ChoiceField(
                label=f"Module of “{section.title}”", choices=[(key, m.title) for key, m in self.modules.items()],
                initial=str(module.pk),
            )

    def rows(self):
        """Return each section with its two fields, in the module's current order."""
        return [
            (section, self[f"position_{section.pk}"], self[f"module_{section.pk}"]) for section in self.sections
        ]

    def clean(self):
        cleaned = super().clean()
        here = str(self.module.pk)
        positions = [cleaned.get(f"position_{s.pk}") for s in self.sections if cleaned.get(f"module_{s.pk}") == here]
        if None not in positions and len(set(positions)) != len(positions):
            raise ValidationError("Give each section that stays in this module a different position.")
        return cleaned

    def placements(self) -> list[SectionPlacement]:
        return [
            SectionPlacement(
                section=section,
                module=self.modules[self.cleaned_data[f"module_{section.pk}"]],
                position=self.cleaned_data[f"position_{section.pk}"],
            )
            for section in self.sections
        ]


def change_structure(request: HttpRequest, page_id: int) -> HttpResponse:
    """Reorder a module's sections or move some to another module, with a required change note; number new versions."""
    module = get_object_or_404(ModulePage, pk=page_id)
    if module.is_retired:
        return refuse_editing_retired(request, module)
    if not may_retire(module, request.user):
        raise PermissionDenied
    sections = list(SectionPage.objects.child_of(module).order_by("path"))
    modules = [
        m for m in ModulePage.objects.filter(retired_at__isnull=True).order_by("path") if may_retire(m, request.user)
    ]
    form = StructureForm(request.POST or None, module=module, sections=sections, modules=modules)
    if request.method == "POST" and form.is_valid():
        try:
            versions = change_module_structure(
                module=module, placements=form.placements(), user=request.user,
                change_note=form.cleaned_data["change_note"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            numbers = ", ".join(f"{v.module.title} version {v.number}" for v in versions) or "no new version"
            messages.success(request, f"Structure changed: {numbers}.")
            return redirect("wagtailadmin_explore", module.pk)
    status = 400 if form.errors else 200
    return TemplateResponse(request, "modules/admin/change_structure.html", {"page": module, "form": form}, status=status)


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

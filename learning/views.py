"""Learner-facing views: knowledge-check answers, resource downloads, completion, record, dashboard."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control
from django.views.decorators.http import require_GET, require_POST
from wagtail.documents import get_document_model

from accounts.roles import PracticeRole
from modules.models import ModulePage, SectionPage
from modules.structure import section_document_ids, section_module
from practices.selectors import lead_membership

from . import services
from .access import Outcome, learner_eligibility
from .hooks import completion_links, record_certificates, record_panels
from .marking import find_check, mark_answer
from .record_csv import COLUMNS, record_rows
from .section_context import flash_check_error, remember_untracked_answer, viewer_notice
from .selectors.learner import learner_module_state
from .selectors.practice import practice_staff_progress
from .selectors.record import learner_events, learner_record
from .wagtail_hooks import refusal_response


def _live_section(section_id: int) -> tuple[SectionPage, ModulePage]:
    section = get_object_or_404(SectionPage.objects.live(), pk=section_id)
    module = section_module(section, live=True)
    if module is None:
        raise Http404("This section's module is not published.")
    return section, module


@login_required
@require_POST
def answer_knowledge_check(request: HttpRequest, section_id: int, block_id: str) -> HttpResponse:
    """Mark a learner's answer to a knowledge check, keep it, and return them to the question."""
    section, module = _live_section(section_id)
    eligibility = learner_eligibility(request.user, on=timezone.localdate())
    if not eligibility.may_view:
        return refusal_response(request, eligibility, module=module)
    check = find_check(section.body, block_id)
    if check is None:
        raise Http404("No such question in this section.")
    back = HttpResponseRedirect(f"{section.url}#check-{block_id}")
    selected = request.POST.getlist("answer")
    try:
        if eligibility.is_tracked:
            services.record_knowledge_check_attempt(
                membership=eligibility.membership, section=section, block_id=block_id, selected_option_ids=selected
            )
        else:
            # Staff and withdrawn practices see feedback, but nothing is recorded.
            marked = mark_answer(check, selected)
            remember_untracked_answer(
                request, section_id=section.pk, block_id=block_id, selected=marked.selected_option_ids,
                is_correct=marked.is_correct,
            )
    except ValidationError as error:
        flash_check_error(request, section_id=section.pk, block_id=block_id, message=" ".join(error.messages))
        back = HttpResponseRedirect(f"{section.url}#error-summary")
    return back


@login_required
@require_GET
def resource_download(request: HttpRequest, section_id: int, document_id: int) -> HttpResponse:
    """Record a tracked learner's download of a resource linked from a section, then send the file."""
    section, module = _live_section(section_id)
    if document_id not in section_document_ids(section):
        raise Http404("That document is not a resource of this section.")
    document = get_object_or_404(get_document_model(), pk=document_id)
    eligibility = learner_eligibility(request.user, on=timezone.localdate())
    if not eligibility.may_view:
        return refusal_response(request, eligibility, module=module)
    if eligibility.is_tracked:
        services.record_resource_download(membership=eligibility.membership, section=section, document_id=document.pk)
    # Served from here, not by redirecting to /documents/: that address is for content staff only
    # (modules/resources.py), so this check of practice and arm is the only way in for learners.
    response = FileResponse(
        document.file.storage.open(document.file.name, "rb"), content_type=document.content_type,
        as_attachment=document.content_disposition != "inline", filename=document.filename,
    )
    # As Wagtail's own document view: no script runs in a served file, no type sniffing.
    response["Content-Security-Policy"] = "default-src 'none'"
    response["X-Content-Type-Options"] = "nosniff"
    add_never_cache_headers(response)
    patch_cache_control(response, private=True)
    return response


@login_required
@require_GET
def module_completion(request: HttpRequest, slug: str) -> HttpResponse:
    """Show the learner their completion of a module, or what is left to complete it."""
    module = get_object_or_404(ModulePage.objects.live(), slug=slug)
    eligibility = learner_eligibility(request.user, on=timezone.localdate())
    if not eligibility.may_view:
        if eligibility.outcome == Outcome.CONTROL_ARM:
            services.record_protocol_deviation(
                membership=eligibility.membership, module=module, section=None, path=request.get_full_path()
            )
        return refusal_response(request, eligibility, module=module)
    state = learner_module_state(request.user, module)
    membership = eligibility.membership
    notice = viewer_notice(
        eligibility.outcome, user=request.user,
        withdrawn_on=membership.practice.withdrawn_on if membership is not None else None,
    )
    remaining = [info for info in state.structure.sections if state.section_status.get(info.id) != "completed"]
    response = render(
        request, "learning/completion.html",
        {
            "module": module, "state": state, "remaining": remaining, "notice": notice,
            "next_steps": completion_links(request.user, module),
        },
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def learning_record(request: HttpRequest) -> HttpResponse:
    """Show the signed-in learner their own learning record."""
    response = render(
        request, "learning/record.html",
        {
            "rows": learner_record(request.user), "columns": COLUMNS, "panels": record_panels(request.user),
        },
    )
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def learning_record_csv(request: HttpRequest) -> StreamingHttpResponse:
    """Download the signed-in learner's own events as CSV, one row per event."""
    day = timezone.localdate().isoformat()
    response = StreamingHttpResponse(
        record_rows(learner_events(request.user).iterator(chunk_size=2000), record_certificates(request.user)),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="learning-record-{day}.csv"'
    add_never_cache_headers(response)
    return response


@login_required
@require_GET
def practice_dashboard(request: HttpRequest) -> HttpResponse:
    """Show a practice lead their own practice's staff by module."""
    membership = lead_membership(request.user, on=timezone.localdate())
    if membership is None:
        response = render(request, "learning/not_a_lead.html", status=403)
        add_never_cache_headers(response)
        return response
    role = request.GET.get("role", "").strip() or None
    error = ""
    status = 200
    if role is not None and role not in PracticeRole.values:
        error = "Choose a role from the list."
        status = 400
        role = None
    progress = practice_staff_progress(membership.practice, role=role)
    response = render(
        request, "learning/practice_dashboard.html",
        {
            "progress": progress, "membership": membership, "error": error, "role_choices": progress.roles_present,
            "role_label": dict(PracticeRole.choices).get(role, ""),
        },
        status=status,
    )
    add_never_cache_headers(response)
    return response

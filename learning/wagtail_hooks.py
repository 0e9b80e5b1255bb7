"""Gatekeeping and tracking for module pages, wrapped around Wagtail's page serving.

Wagtail runs `on_serve_page` hooks only when it serves a live page to a visitor; editors' previews
go through `serve_preview` instead, so nothing here runs (and nothing is recorded) for a preview.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from wagtail import hooks

from modules.models import ModuleIndexPage, ModulePage, SectionPage
from modules.structure import section_module

from . import services
from .journey import build_context, viewer_notice
from .selectors import Outcome, learner_eligibility

GATED_PAGES = (ModuleIndexPage, ModulePage, SectionPage)


def refusal_response(request, eligibility, *, module: ModulePage | None = None) -> TemplateResponse:
    """Return the 403 page explaining why this person cannot open modules."""
    control = eligibility.outcome == Outcome.CONTROL_ARM
    template = "learning/control_arm.html" if control else "learning/no_practice.html"
    context = {"membership": eligibility.membership, "module": module}
    return TemplateResponse(request, template, context, status=403)


def _module_of(page, response=None) -> ModulePage | None:
    if isinstance(page, ModulePage):
        return page
    if isinstance(page, SectionPage):
        # The section page's own context already holds its module; reuse it to save a query.
        context = getattr(response, "context_data", None) or {}
        module = context.get("module")
        if isinstance(module, ModulePage):
            return module
        return section_module(page)
    return None


@hooks.register("on_serve_page")
def gate_module_pages(serve_next):
    """Let only eligible learners open module pages, and record each view by a tracked learner."""

    def serve(page, request, serve_args, serve_kwargs):
        if not isinstance(page, GATED_PAGES):
            return serve_next(page, request, serve_args, serve_kwargs)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        today = timezone.localdate()
        eligibility = learner_eligibility(request.user, on=today)
        if not eligibility.may_view:
            module = _module_of(page)
            if eligibility.outcome == Outcome.CONTROL_ARM and module is not None and request.method == "GET":
                services.record_protocol_deviation(
                    membership=eligibility.membership, module=module,
                    section=page if isinstance(page, SectionPage) else None, path=request.get_full_path(),
                )
            response = refusal_response(request, eligibility, module=module)
            add_never_cache_headers(response)
            return response

        response = serve_next(page, request, serve_args, serve_kwargs)
        if getattr(response, "status_code", None) != 200 or not hasattr(response, "context_data"):
            return response
        module = _module_of(page, response)
        access = None
        if eligibility.is_tracked and module is not None and request.method == "GET":
            access = services.record_access(
                membership=eligibility.membership, module=module,
                section=page if isinstance(page, SectionPage) else None,
            )
        membership = eligibility.membership
        notice = viewer_notice(
            eligibility.outcome, user=request.user,
            withdrawn_on=membership.practice.withdrawn_on if membership is not None else None,
        )
        request.learning = build_context(
            page=page, request=request, outcome=eligibility.outcome, module=module, notice=notice, access=access
        )
        # Each page is personal and each view must reach the server to be counted.
        add_never_cache_headers(response)
        return response

    return serve

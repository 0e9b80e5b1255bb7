"""Gatekeeping and tracking for module pages, wrapped around Wagtail's page serving.

Wagtail runs `on_serve_page` hooks only when it serves a live page to a visitor; editors' previews
go through `serve_preview` instead, so nothing here runs (and nothing is recorded) for a preview.
The gate hands the page a function that records the view and returns the learner's context, as
a serve argument (`learning`): a section's renderer (`render_section_page`, registered below and
called by `SectionPage.serve`) calls it, and so does the context the module index and module pages
add through modules' MODULE_PAGE_CONTEXT hook. It runs only if every inner hook lets the page be
served.
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from wagtail import hooks

from modules.activity import MODULE_ACTIVITY
from modules.hooks import MODULE_PAGE_CONTEXT
from modules.models import ModuleIndexPage, ModulePage, SectionPage
from modules.structure import cached_section_module

from . import services
from .access import Outcome, learner_eligibility
from .rendering import render_section_page
from .section_context import LearningContext, build_context, preview_context, viewer_notice
from .selectors.activity import page_activity

GATED_PAGES = (ModuleIndexPage, ModulePage, SectionPage)


def refusal_response(request, eligibility, *, module: ModulePage | None = None) -> TemplateResponse:
    """Return the 403 page explaining why this person cannot open modules."""
    control = eligibility.outcome == Outcome.CONTROL_ARM
    template = "learning/control_arm.html" if control else "learning/no_practice.html"
    context = {"membership": eligibility.membership, "module": module}
    return TemplateResponse(request, template, context, status=403)


def _module_of(page) -> ModulePage | None:
    if isinstance(page, ModulePage):
        return page
    if isinstance(page, SectionPage):
        return cached_section_module(page)
    return None


def _notice(eligibility, user) -> str:
    membership = eligibility.membership
    return viewer_notice(
        eligibility.outcome, user=user, withdrawn_on=membership.practice.withdrawn_on if membership is not None else None
    )


def _page_view(page, request, eligibility):
    """Return a function that records this page view (if tracked) and returns the learner's context."""

    def learning_for_view() -> LearningContext:
        module = _module_of(page)
        access = None
        if eligibility.is_tracked and module is not None and request.method == "GET":
            section = page if isinstance(page, SectionPage) else None
            access = services.record_access(membership=eligibility.membership, module=module, section=section)
        return build_context(
            page=page, request=request, outcome=eligibility.outcome, module=module,
            notice=_notice(eligibility, request.user), access=access,
        )

    return learning_for_view


@hooks.register(MODULE_PAGE_CONTEXT)
def learner_page_context(page, request, *args, learning=None, **kwargs) -> dict:
    """Give the module index and module pages the learner's context the gate passed, or a neutral one in a preview."""
    return {"learning": learning() if learning is not None else preview_context(page, request, None)}


@hooks.register("render_section_page")
def render_section(page, request, *args, **kwargs):
    """Render a section page (SectionPage.serve calls this; modules knows nothing of learners)."""
    return render_section_page(page, request, *args, **kwargs)


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

        serve_kwargs = {**serve_kwargs, "learning": _page_view(page, request, eligibility)}
        response = serve_next(page, request, serve_args, serve_kwargs)
        if getattr(response, "status_code", None) == 200:
            # Each page is personal and each view must reach the server to be counted.
            add_never_cache_headers(response)
        return response

    return serve


@hooks.register(MODULE_ACTIVITY)
def learner_activity(page_ids):
    """Count the learners and recorded events that name these module or section pages (modules.activity)."""
    return page_activity(page_ids)


# --- Question analytics for content staff (learning/admin_reports.py) ------------------------------


@hooks.register("register_admin_urls")
def register_question_analytics_urls():
    from .admin_reports import admin_urls

    return admin_urls()


@hooks.register("register_reports_menu_item")
def register_knowledge_check_report_menu_item():
    from .admin_reports import knowledge_checks_menu_item

    return knowledge_checks_menu_item()


@hooks.register("register_reports_menu_item")
def register_section_reach_report_menu_item():
    from .admin_reports import section_reach_menu_item

    return section_reach_menu_item()

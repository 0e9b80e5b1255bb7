"""Home and standard pages."""

from __future__ import annotations

from wagtail.admin.panels import FieldPanel
from wagtail.fields import RichTextField
from wagtail.models import Page

from modules.blocks import RICH_TEXT_FEATURES


class HomePage(Page):
    """The site's front page."""

    intro = RichTextField(features=RICH_TEXT_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    max_count = 1
    subpage_types = ["modules.ModuleIndexPage", "content.StandardPage"]

    def get_context(self, request, *args, **kwargs):
        from accounts.roles import is_staff_role
        from practices.selectors import current_membership

        context = super().get_context(request, *args, **kwargs)
        context["membership"] = current_membership(request.user)
        context["is_staff"] = is_staff_role(request.user)
        return context


class StandardPage(Page):
    """A plain page of text, e.g. About or Accessibility statement."""

    body = RichTextField(features=RICH_TEXT_FEATURES, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("body")]
    subpage_types: list[str] = []

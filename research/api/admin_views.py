"""Research > API tokens in the Wagtail admin: researchers create, see and revoke their own; admins see and revoke all.

The token itself is shown once, on the page that answers its creation; only its digest is kept.
Every view checks the user's groups on the server; the admin's MFA middleware has already required
this session's second factor.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.generic import FormView, TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from accounts.roles import ADMIN, user_in_groups

from .. import conf
from ..models import ApiToken
from .tokens import create_api_token, may_use_research_api, revoke_api_token, visible_tokens

INDEX_URL = "research_api_tokens:index"


class ApiTokenForm(forms.Form):
    """A new token's purpose and lifetime (at most research.conf.API_TOKEN_MAX_DAYS days)."""

    name = forms.CharField(
        max_length=80, help_text="What the token is for, so you can tell your tokens apart, e.g. 'analysis pipeline'."
    )
    days = forms.TypedChoiceField(
        label="Expires after", coerce=int, initial=30,
        choices=[(days, f"{days} days") for days in conf.API_TOKEN_DAY_CHOICES],
        help_text=f"Every token expires; at most {conf.API_TOKEN_MAX_DAYS} days. Create a new one when it does.",
    )


class TokenUserMixin:
    """Refuse anyone who is not a researcher or an admin; never let a page with a token be cached."""

    def dispatch(self, request, *args, **kwargs):
        if not may_use_research_api(request.user):
            raise PermissionDenied("Only researchers and admins can hold research API tokens.")
        response = super().dispatch(request, *args, **kwargs)
        add_never_cache_headers(response)
        return response


class TokenIndexView(TokenUserMixin, WagtailAdminTemplateMixin, TemplateView):
    """The tokens this user may see: their own (a researcher) or everyone's (an admin)."""

    template_name = "research/admin/token_index.html"
    page_title = "API tokens"
    header_icon = "key"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": "API tokens"}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        context["tokens"] = [(token, token.state(now)) for token in visible_tokens(self.request.user)]
        context["sees_all"] = user_in_groups(self.request.user, ADMIN)
        context["docs_url"] = reverse("research_api:docs")
        return context


class TokenCreateView(TokenUserMixin, WagtailAdminTemplateMixin, FormView):
    """Create a token and show it once."""

    template_name = "research/admin/token_create.html"
    form_class = ApiTokenForm
    page_title = "Create an API token"
    header_icon = "key"

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": reverse(INDEX_URL), "label": "API tokens"}, {"url": "", "label": "Create"}]

    def form_valid(self, form):
        try:
            issued = create_api_token(user=self.request.user, name=form.cleaned_data["name"], days=form.cleaned_data["days"])
        except ValidationError as error:
            for field, problems in getattr(error, "message_dict", {None: error.messages}).items():
                for problem in problems:
                    form.add_error(field if field in form.fields else None, problem)
            return self.form_invalid(form)
        # Rendered, not redirected: the token exists only in this response.
        return self.render_to_response(self.get_context_data(form=form, issued=issued))


class TokenRevokeView(TokenUserMixin, WagtailAdminTemplateMixin, TemplateView):
    """Confirm, then revoke a token (a researcher's own; an admin's any)."""

    template_name = "research/admin/token_revoke.html"
    page_title = "Revoke an API token"
    header_icon = "key"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        # Another researcher's token is not found, rather than forbidden: its existence is not theirs to know.
        self.token = visible_tokens(request.user).filter(pk=kwargs["pk"]).first()

    def dispatch(self, request, *args, **kwargs):
        if may_use_research_api(request.user) and self.token is None:
            raise Http404("No such API token.")
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": reverse(INDEX_URL), "label": "API tokens"}, {"url": "", "label": "Revoke"}]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["token"] = self.token
        context["state"] = self.token.state()
        return context

    def post(self, request, pk: int):
        token: ApiToken = revoke_api_token(token=self.token, by=request.user)
        messages.success(request, f"API token {token.name} ({token.prefix}…) is revoked; it no longer works.")
        return redirect(INDEX_URL)

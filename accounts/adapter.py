"""allauth adapter: the one place that shapes sign-up and sign-in for this site."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.internal.httpkit import clean_client_ip
from allauth.mfa.utils import is_mfa_enabled
from django.contrib.auth.models import Group
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.urls import reverse

from outbox.services import enqueue_email

from .roles import LEARNER


class AccountAdapter(DefaultAccountAdapter):
    """Normalise emails, make everyone who signs up a learner, and keep the second factor in charge."""

    def clean_email(self, email: str) -> str:
        return super().clean_email(email).strip().lower()

    def save_user(self, request, user, form, commit=True):
        user = super().save_user(request, user, form, commit=commit)
        if commit and user.pk:
            user.groups.add(Group.objects.get_or_create(name=LEARNER)[0])
        return user

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Record the email in the outbox with the change that caused it; a worker sends it after commit."""
        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        enqueue_email(message=self.render_mail(template_prefix, email, ctx))

    def get_login_redirect_url(self, request) -> str:
        """Send staff who may use the admin to its dashboard after signing in; everyone else where they went before.

        Used only when the sign-in carries no `next` address, so a link into the admin or the site
        still wins.
        """
        user = request.user
        if user.is_authenticated and user.has_perm("wagtailadmin.access_admin"):
            return reverse("wagtailadmin_home")
        return super().get_login_redirect_url(request)

    def get_client_ip(self, request) -> str:
        """Return the client address, trusting X-Forwarded-For only as far as ALLAUTH_TRUSTED_PROXY_COUNT says.

        allauth refuses (ImproperlyConfigured, a 500) when the header has fewer entries than the
        trusted count, as when someone reaches the inner proxy directly. The leftmost entry was
        then written by one of our proxies, so it is the best address we have.
        """
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            first = request.headers.get("x-forwarded-for", "").split(",")[0].strip()
            ip = clean_client_ip(first) if first else None
            ip = ip or clean_client_ip(request.META.get("REMOTE_ADDR", ""))
            if not ip:
                raise PermissionDenied("Unable to determine client IP address") from None
            return ip

    def get_reauthentication_methods(self, user) -> list[dict]:
        """Offer only the second factor to a user who has one, so a password alone never unlocks MFA pages."""
        methods = super().get_reauthentication_methods(user)
        if user.is_authenticated and is_mfa_enabled(user):
            second_factor = [m for m in methods if m["id"] != "reauthenticate"]
            if second_factor:
                return second_factor
        return methods

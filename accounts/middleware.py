"""Keep staff roles out of the admin and research areas until they have set up MFA."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .roles import is_staff_role

# Areas that show content controls or trial data across practices. allauth's own pages
# (/accounts/..., including MFA set-up at /accounts/2fa/) are outside them, so set-up stays reachable.
PROTECTED_PREFIXES = ("/admin/", "/research/", "/django-admin/")


def has_totp(user) -> bool:
    """Return True if the user has an authenticator app set up."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


class StaffMFARequiredMiddleware:
    """Redirect a signed-in editor, moderator, researcher or admin without TOTP to MFA set-up.

    Signing in already asks for the second factor once one exists (allauth's login stage), so
    requiring TOTP to exist is what makes MFA mandatory for these roles.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            request.path.startswith(PROTECTED_PREFIXES)
            and request.user.is_authenticated
            and is_staff_role(request.user)
            and not has_totp(request.user)
        ):
            messages.warning(
                request,
                "Your role needs two-factor authentication. Set up an authenticator app to continue.",
            )
            next_url = request.get_full_path() if request.method == "GET" else request.path
            return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': next_url})}")
        return self.get_response(request)

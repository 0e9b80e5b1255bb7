"""Keep staff roles out of the admin and research areas until they have set up MFA."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.shortcuts import redirect
from django.urls import reverse

from .roles import is_staff_role

PROTECTED_PREFIXES = ("/admin/", "/research/", "/django-admin/")


class StaffMFARequiredMiddleware:
    """Redirect a signed-in editor, moderator, researcher or admin without TOTP to MFA set-up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path
        if (
            path.startswith(PROTECTED_PREFIXES)
            and request.user.is_authenticated
            and is_staff_role(request.user)
            and not Authenticator.objects.filter(user=request.user, type=Authenticator.Type.TOTP).exists()
        ):
            messages.warning(
                request,
                "Your role needs two-factor authentication. Set up an authenticator app to continue.",
            )
            return redirect(f"{reverse('mfa_activate_totp')}?next={path}")
        return self.get_response(request)

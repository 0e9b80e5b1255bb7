"""Keep staff out of the admin and research areas unless this session proved the second factor."""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import HttpRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

from .roles import is_staff_role

# Areas that show content controls or trial data across practices. allauth's own pages
# (/accounts/..., including MFA set-up at /accounts/2fa/) are outside them, so set-up stays reachable.
PROTECTED_PREFIXES = ("/admin/", "/research/", "/django-admin/")
ADMIN_PREFIX = "/admin/"
NO_ADMIN_ACCESS = (
    "The admin area is for the editors, moderators, researchers and administrators of this site, "
    "and your account is not one of them."
)


def has_totp(user) -> bool:
    """Return True if the user has an authenticator app set up."""
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def needs_second_factor(user) -> bool:
    """Return True if the user holds a staff role or may open the Wagtail admin at all."""
    return is_staff_role(user) or user.has_perm("wagtailadmin.access_admin")


def session_used_second_factor(request: HttpRequest, user) -> bool:
    """Return True if this session's sign-in (or a later re-check) included a second-factor code.

    allauth appends a record to the session for every authentication step; "mfa" is written only
    after an authenticator app or recovery code was accepted, for this user.
    """
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


class StaffMFARequiredMiddleware:
    """Send staff without TOTP to set-up, staff whose session lacks the code to enter it, and refuse learners.

    Checking that an authenticator exists is not enough: a session opened by any route that
    skipped allauth's second-factor stage would otherwise reach the admin with a password alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if not (request.path.startswith(PROTECTED_PREFIXES) and user.is_authenticated):
            return self.get_response(request)
        next_url = request.get_full_path() if request.method == "GET" else request.path
        if needs_second_factor(user):
            if not has_totp(user):
                messages.warning(
                    request, "Your role needs two-factor authentication. Set up an authenticator app to continue."
                )
                return redirect(f"{reverse('mfa_activate_totp')}?{urlencode({'next': next_url})}")
            if not session_used_second_factor(request, user):
                messages.warning(request, "Enter the code from your authenticator app to continue.")
                return redirect(f"{reverse('mfa_reauthenticate')}?{urlencode({'next': next_url})}")
        elif request.path.startswith(ADMIN_PREFIX):
            # Wagtail would send a signed-in user without admin access to sign in, and sign-in
            # sends a signed-in user straight back: say plainly why instead.
            return render(request, "403.html", {"reason": NO_ADMIN_ACCESS}, status=403)
        return self.get_response(request)

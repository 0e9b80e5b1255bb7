"""Account pages of our own: TOTP set-up that counts as this session's second factor, and the one way in."""

from __future__ import annotations

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.views import ActivateTOTPView as AllauthActivateTOTPView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode


class ActivateTOTPView(AllauthActivateTOTPView):
    """allauth's authenticator set-up, counting the code typed to activate it as this session's second factor.

    Activation succeeds only with a valid code from the new app, the same proof a sign-in code
    gives; without the record the staff-MFA middleware would send someone who has just set up
    their app straight back to type another code.
    """

    def form_valid(self, form) -> HttpResponse:
        response = super().form_valid(form)
        authenticator = Authenticator.objects.get(user=self.request.user, type=Authenticator.Type.TOTP)
        record_authentication(self.request, self.request.user, "mfa", id=authenticator.pk, type=authenticator.type)
        return response


def to_account_login(request: HttpRequest) -> HttpResponse:
    """Send any other login page (Wagtail's admin or page-privacy login) to allauth's, the one way in.

    allauth's sign-in is the only one that insists on a verified address, the second factor and
    the rate limits; nothing is read from a POST here, so a password sent to the old address
    signs nobody in.
    """
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    target = reverse("account_login")
    return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)


def to_account_password_reset(request: HttpRequest) -> HttpResponse:
    """Send Wagtail's admin password-reset pages to allauth's, which every account uses."""
    return redirect("account_reset_password")

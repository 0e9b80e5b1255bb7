"""Account pages of our own: the profile, and allauth's sign-up page told about invitations."""

from __future__ import annotations

from allauth.account.internal.flows.login import record_authentication
from allauth.account.views import SignupView as AllauthSignupView
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.views import ActivateTOTPView as AllauthActivateTOTPView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from practices import selectors as practice_selectors
from practices import services as practice_services

from . import services
from .forms import PENDING_INVITATION_SESSION_KEY, ProfileForm, apply_validation_error


class SignupView(AllauthSignupView):
    """allauth's sign-up, which joins the practice of an invitation link opened in this session."""

    def pending_invitation(self):
        return practice_selectors.usable_invitation(self.request.session.get(PENDING_INVITATION_SESSION_KEY, ""))

    def get_initial(self) -> dict:
        initial = super().get_initial()
        invitation = self.pending_invitation()
        if invitation is not None:
            initial.setdefault("email", invitation.email)
            initial.setdefault("first_name", invitation.first_name)
            initial.setdefault("last_name", invitation.last_name)
        return initial

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["invitation"] = self.pending_invitation()
        return context


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


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Show and update the learner's name, practice role and professional registration."""
    user = request.user
    membership = practice_selectors.current_membership(user)
    initial = {
        "first_name": user.first_name, "last_name": user.last_name,
        "registration_body": user.registration_body, "registration_number": user.registration_number,
        "role": membership.role if membership else "",
    }
    form = ProfileForm(request.POST or None, initial=initial, has_practice=membership is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_profile(
                user=user, first_name=data["first_name"], last_name=data["last_name"],
                registration_body=data["registration_body"], registration_number=data["registration_number"],
            )
            if membership is not None:
                practice_services.change_member_role(membership=membership, role=data["role"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "Your profile has been saved.")
            return redirect("account_profile")
    return render(
        request, "account/profile.html",
        {"form": form, "membership": membership, "history": practice_selectors.membership_history(user)},
    )


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

"""Account pages of our own: the profile, and allauth's sign-up page told about invitations."""

from __future__ import annotations

from allauth.account.views import SignupView as AllauthSignupView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode

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


def admin_login(request: HttpRequest) -> HttpResponse:
    """Send the Wagtail admin's own login page to allauth's, so there is one way in (with MFA)."""
    target = reverse("account_login")
    next_url = request.GET.get("next", "/admin/")
    return redirect(f"{target}?{urlencode({'next': next_url})}")

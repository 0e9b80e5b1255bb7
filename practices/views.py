"""Sign-up into a practice, joining one, a lead inviting colleagues, and the profile; the services decide."""

from __future__ import annotations

from allauth.account.views import SignupView as AllauthSignupView
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from accounts import services as account_services
from accounts.forms import ProfileForm, apply_validation_error
from core import ratelimit

from . import selectors, services
from .forms import PENDING_INVITATION_SESSION_KEY, InviteColleagueForm, JoinCodeForm
from .models import Invitation, InvitationSource, Membership


def _lead_membership_or_403(request: HttpRequest) -> Membership:
    membership = selectors.lead_membership(request.user)
    if membership is None:
        raise PermissionDenied("Only a practice lead can invite colleagues.")
    return membership


@login_required
def invite_colleague(request: HttpRequest) -> HttpResponse:
    """Let a practice lead invite a colleague by email and see the invitations still open."""
    lead = _lead_membership_or_403(request)
    practice = lead.practice
    form = InviteColleagueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            invitation = services.invite_colleague(
                practice=practice, invited_by=request.user, email=data["email"], role=data["role"],
                first_name=data["first_name"], last_name=data["last_name"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, f"Invitation sent to {invitation.email}.")
            return redirect("practices:invite")
    return render(
        request, "practices/invite.html",
        {"form": form, "practice": practice, "invitations": selectors.pending_invitations(practice)},
    )


@login_required
@require_POST
def cancel_invitation(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel one of the lead's own practice's open invitations (any other is not found)."""
    lead = _lead_membership_or_403(request)
    invitation = get_object_or_404(Invitation, pk=pk, practice=lead.practice, source=InvitationSource.LEAD)
    try:
        services.revoke_invitation(invitation=invitation)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"The invitation to {invitation.email} has been cancelled.")
    return redirect("practices:invite")


def join_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Show an invitation; a signed-in visitor accepts it, anyone else signs up or signs in first."""
    invitation = selectors.usable_invitation(token)
    if invitation is None or invitation.source != InvitationSource.LEAD:
        return render(request, "practices/invitation_invalid.html", status=404)
    if not request.user.is_authenticated:
        # Remember the invitation through sign-up (practices.forms.SignupForm accepts it).
        request.session[PENDING_INVITATION_SESSION_KEY] = invitation.token
        login_url = f"{reverse('account_login')}?{urlencode({'next': request.path})}"
        return render(request, "practices/join_invitation.html", {"invitation": invitation, "login_url": login_url})
    current = selectors.current_membership(request.user)
    if request.method == "POST":
        try:
            services.accept_invitation(invitation=invitation, user=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(request.path)
        request.session.pop(PENDING_INVITATION_SESSION_KEY, None)
        messages.success(request, f"You have joined {invitation.practice.name}.")
        return redirect("/")
    return render(request, "practices/join_invitation.html", {"invitation": invitation, "current": current})


@login_required
def join_with_code(request: HttpRequest) -> HttpResponse:
    """Let a signed-in learner join their practice with its join code."""
    current = selectors.current_membership(request.user)
    form = JoinCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not ratelimit.allowed(request, action="join_practice", user=request.user):
            form.add_error(None, "Too many attempts to join a practice. Try again in an hour.")
        else:
            try:
                membership = services.join_practice_with_code(
                    user=request.user, join_code=form.cleaned_data["join_code"], role=form.cleaned_data["role"]
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, f"You have joined {membership.practice.name}.")
                return redirect("/")
    return render(request, "practices/join_code.html", {"form": form, "current": current})


class SignupView(AllauthSignupView):
    """allauth's sign-up, which joins the practice of an invitation link opened in this session."""

    template_name = "practices/signup.html"

    def pending_invitation(self):
        return selectors.usable_invitation(self.request.session.get(PENDING_INVITATION_SESSION_KEY, ""))

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
    membership = selectors.current_membership(user)
    initial = {
        "first_name": user.first_name, "last_name": user.last_name,
        "registration_body": user.registration_body, "registration_number": user.registration_number,
        "role": membership.role if membership else "",
    }
    form = ProfileForm(request.POST or None, initial=initial, has_practice=membership is not None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            account_services.update_profile(
                user=user, first_name=data["first_name"], last_name=data["last_name"],
                registration_body=data["registration_body"], registration_number=data["registration_number"],
            )
            if membership is not None:
                services.change_member_role(membership=membership, role=data["role"])
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            messages.success(request, "Your profile has been saved.")
            return redirect("account_profile")
    return render(
        request, "practices/profile.html",
        {"form": form, "membership": membership, "history": selectors.membership_history(user)},
    )

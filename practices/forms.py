"""Forms for signing up into a practice, inviting a colleague and joining; the services do the checking that matters."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.forms import SignupForm as AccountSignupForm
from accounts.roles import PracticeRole

ROLE_CHOICES = [("", "Choose a role"), *PracticeRole.choices]

# Where the invitation link a visitor opened is kept until they sign up or sign in.
PENDING_INVITATION_SESSION_KEY = "practices_pending_invitation"


class SignupForm(AccountSignupForm):
    """The learner's name and, optionally, their practice join code (ACCOUNT_SIGNUP_FORM_CLASS names this form).

    A visitor who opened an invitation link joins that practice instead, and the join-code fields
    are not shown to them. The practice is held until the address is verified.
    """

    join_code = forms.CharField(
        max_length=20, required=False, label="Practice join code (optional)",
        help_text="8 letters and numbers from your practice lead. You can also join a practice later.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    practice_role = forms.ChoiceField(
        required=False, label="Your role in the practice (optional)", choices=ROLE_CHOICES,
        help_text="Needed if you enter a join code.",
    )

    field_order = [*AccountSignupForm.field_order, "join_code", "practice_role"]

    def clean(self) -> dict:
        from .models import Practice
        from .services import normalise_join_code

        cleaned = super().clean()
        code = cleaned.get("join_code", "")
        if code:
            practice = Practice.objects.filter(join_code=normalise_join_code(code)).first()
            if practice is None:
                self.add_error(
                    "join_code",
                    "No practice has this join code. Check it with your practice lead: it is 8 letters and numbers.",
                )
            elif practice.is_withdrawn_on(timezone.localdate()):
                self.add_error("join_code", f"{practice.name} has withdrawn from the trial, so nobody can join it now.")
            if not cleaned.get("practice_role"):
                self.add_error("practice_role", "Choose your role in the practice")
        return cleaned

    def signup(self, request, user) -> None:
        """Store the names and hold the chosen practice (allauth calls this after creating the user).

        The practice is joined only once the address is verified (practices.receivers): straight
        away for an invitation opened from the invited mailbox, otherwise when the learner
        confirms their email, so an unverified account never becomes a member.
        """
        from . import selectors, services

        super().signup(request, user)
        invitation = selectors.usable_invitation(request.session.pop(PENDING_INVITATION_SESSION_KEY, ""))
        if invitation is not None and invitation.email == (user.email or "").lower():
            # The invitation link could only be read in that mailbox, so the address is verified;
            # allauth reads this stash right after this method when it records the address.
            get_adapter(request).stash_verified_email(request, invitation.email)
            try:
                services.accept_invitation(invitation=invitation, user=user)
            except ValidationError as error:
                # The account is made either way; joining can be retried from the join page.
                reason = " ".join(error.messages)
                messages.warning(request, f"Your account was created but you have not joined a practice: {reason}")
        elif invitation is not None:
            services.hold_practice_until_verified(user=user, invitation_token=invitation.token)
            messages.info(request, f"You will join {invitation.practice.name} once you confirm your email address.")
        elif self.cleaned_data.get("join_code"):
            services.hold_practice_until_verified(
                user=user, join_code=self.cleaned_data["join_code"], role=self.cleaned_data["practice_role"]
            )
            messages.info(request, "You will join your practice once you confirm your email address.")


class InviteColleagueForm(forms.Form):
    """A practice lead's invitation to a colleague."""

    first_name = forms.CharField(
        max_length=150,
        label="First name",
        error_messages={"required": "Enter their first name"},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    last_name = forms.CharField(
        max_length=150,
        label="Last name",
        error_messages={"required": "Enter their last name"},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label="Email address",
        help_text="The invitation link is sent here.",
        error_messages={
            "required": "Enter their email address",
            "invalid": "Enter an email address in the correct format, like name@example.com",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    role = forms.ChoiceField(
        label="Their role in the practice", choices=ROLE_CHOICES, error_messages={"required": "Choose their role"}
    )


class JoinCodeForm(forms.Form):
    """A practice join code and the learner's role in that practice."""

    join_code = forms.CharField(
        max_length=20,
        label="Practice join code",
        error_messages={"required": "Enter your practice join code"},
        help_text="8 letters and numbers, from your practice lead.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    role = forms.ChoiceField(
        label="Your role in the practice", choices=ROLE_CHOICES, error_messages={"required": "Choose your role"}
    )

"""Sign-up fields beyond allauth's email and password, and the learner's profile form."""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.utils import timezone

from .models import RegistrationBody
from .roles import PracticeRole
from .validators import normalise_registration_number, validate_registration_number

# Where the invitation link a visitor opened is kept until they sign up or sign in.
PENDING_INVITATION_SESSION_KEY = "practices_pending_invitation"

ROLE_CHOICES = [("", "Choose a role"), *PracticeRole.choices]


def apply_validation_error(form: forms.Form, error: ValidationError) -> None:
    """Attach a service's ValidationError to the form's fields (or the form) by key."""
    if hasattr(error, "error_dict"):
        for field, field_messages in error.error_dict.items():
            for message in field_messages:
                form.add_error(field if field in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


class SignupForm(forms.Form):
    """Ask for the learner's name (printed on certificates) and, optionally, their practice join code.

    allauth makes this the base class of its own sign-up form, so the email and password fields
    come from allauth and this form adds to them. A visitor who opened an invitation link joins
    that practice instead, and the join-code fields are not shown to them.
    """

    first_name = forms.CharField(
        max_length=150, label="First name", error_messages={"required": "Enter your first name"},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        max_length=150, label="Last name", error_messages={"required": "Enter your last name"},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        help_text="Your name appears on your certificates as you type it here.",
    )
    join_code = forms.CharField(
        max_length=20, required=False, label="Practice join code (optional)",
        help_text="8 letters and numbers from your practice lead. You can also join a practice later.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )
    practice_role = forms.ChoiceField(
        required=False, label="Your role in the practice (optional)", choices=ROLE_CHOICES,
        help_text="Needed if you enter a join code.",
    )

    field_order = ["first_name", "last_name", "email", "password1", "password2", "join_code", "practice_role"]

    def clean(self) -> dict:
        cleaned = super().clean()
        code = cleaned.get("join_code", "")
        if code:
            from practices.models import Practice
            from practices.services import normalise_join_code

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
        """Store the names and the chosen practice (allauth calls this after creating the user).

        The practice is joined only once the address is verified (accounts.receivers): straight
        away for an invitation opened from the invited mailbox, otherwise when the learner
        confirms their email, so an unverified account never becomes a member.
        """
        from practices import selectors, services

        from .services import hold_practice_until_verified

        user.first_name = self.cleaned_data["first_name"].strip()
        user.last_name = self.cleaned_data["last_name"].strip()
        user.save(update_fields=["first_name", "last_name"])
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
            hold_practice_until_verified(user=user, invitation_token=invitation.token)
            messages.info(request, f"You will join {invitation.practice.name} once you confirm your email address.")
        elif self.cleaned_data.get("join_code"):
            hold_practice_until_verified(
                user=user, join_code=self.cleaned_data["join_code"], role=self.cleaned_data["practice_role"]
            )
            messages.info(request, "You will join your practice once you confirm your email address.")


class ProfileForm(forms.Form):
    """A learner's name, role in their practice and optional professional registration."""

    first_name = forms.CharField(
        max_length=150, label="First name", error_messages={"required": "Enter your first name"},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        max_length=150, label="Last name", error_messages={"required": "Enter your last name"},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
        help_text="Your name appears on your certificates as you type it here.",
    )
    role = forms.ChoiceField(
        label="Your role in the practice", choices=ROLE_CHOICES, error_messages={"required": "Choose your role"}
    )
    registration_body = forms.ChoiceField(
        required=False, label="Professional registration body (optional)",
        choices=[("", "None"), *RegistrationBody.choices],
        help_text="Printed on your certificates for revalidation.",
    )
    registration_number = forms.CharField(
        required=False, max_length=12, label="Registration number (optional)",
        help_text="GMC: 7 digits. NMC PIN: 2 digits, a letter, 4 digits and a letter, like 12A3456E. "
        "GPhC: 7 digits. HCPC: 2 letters and 5 or 6 digits, like PA123456.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}),
    )

    def __init__(self, *args, has_practice: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not has_practice:
            del self.fields["role"]

    def clean(self) -> dict:
        cleaned = super().clean()
        number = normalise_registration_number(cleaned.get("registration_number", ""))
        cleaned["registration_number"] = number
        try:
            validate_registration_number(cleaned.get("registration_body", ""), number)
        except ValidationError as error:
            apply_validation_error(self, error)
        return cleaned

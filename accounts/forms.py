"""The learner's name at sign-up (beyond allauth's email and password), and the profile form."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from .models import RegistrationBody
from .roles import PracticeRole
from .validators import normalise_registration_number, validate_registration_number

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
    """Ask for the learner's name, printed on certificates.

    allauth makes the form named by ACCOUNT_SIGNUP_FORM_CLASS the base of its own sign-up form, so
    the email and password fields come from allauth. That setting names practices.forms.SignupForm,
    which adds the practice to join; this form knows nothing of practices.
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

    field_order = ["first_name", "last_name", "email", "password1", "password2"]

    def signup(self, request, user) -> None:
        """Store the names (allauth calls this after creating the user)."""
        user.first_name = self.cleaned_data["first_name"].strip()
        user.last_name = self.cleaned_data["last_name"].strip()
        user.save(update_fields=["first_name", "last_name"])


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

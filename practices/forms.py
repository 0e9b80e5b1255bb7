"""Forms for inviting a colleague and joining a practice; the services do the checking that matters."""

from __future__ import annotations

from django import forms

from accounts.roles import PracticeRole

ROLE_CHOICES = [("", "Choose a role"), *PracticeRole.choices]


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

"""Sign-up fields beyond allauth's email and password."""

from __future__ import annotations

from django import forms


class SignupForm(forms.Form):
    """Ask for the learner's name, which prints on their certificates."""

    first_name = forms.CharField(
        max_length=150, label="First name", widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        max_length=150, label="Last name", widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )

    def signup(self, request, user) -> None:
        """Store the names on the new user (allauth calls this after creating it)."""
        user.first_name = self.cleaned_data["first_name"].strip()
        user.last_name = self.cleaned_data["last_name"].strip()
        user.save(update_fields=["first_name", "last_name"])

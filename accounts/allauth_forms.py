"""allauth's sign-in and sign-up forms reworded; kept apart from accounts.forms, which allauth imports while loading."""

from __future__ import annotations

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm


class LoginForm(AllauthLoginForm):
    """allauth's sign-in form with the design system's wording (sentence case, no link in a hint)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Email address"
        self.fields["password"].help_text = ""
        if "remember" in self.fields:
            self.fields["remember"].label = "Keep me signed in on this device"


class SignupForm(AllauthSignupForm):
    """allauth's sign-up form (with practices.forms.SignupForm's fields) with plainer hints."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email address"
        self.fields["email"].help_text = "Use your work email address if you have one."
        if "password1" in self.fields:
            self.fields["password1"].help_text = (
                "At least 10 characters. Not a common password, not only numbers, and not like your name or email."
            )
        if "password2" in self.fields:
            self.fields["password2"].label = "Confirm password"

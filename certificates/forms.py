"""Forms for checking a certificate code, writing a reflection and revoking a certificate."""

from __future__ import annotations

from django import forms

from .codes import CODE_LENGTH, normalise_code
from .services import MAX_REFLECTION_INPUT

CODE_FORMAT_ERROR = (
    f"Enter the certificate code as printed: {CODE_LENGTH} letters and numbers in groups of 4, "
    "for example 7K3M-Q9TW-…"
)


class VerifyForm(forms.Form):
    """Ask for a certificate code; accept it in any case, with or without spaces and dashes."""

    code = forms.CharField(
        label="Certificate code",
        max_length=80,
        help_text="It is printed on the certificate, next to \"Certificate code\".",
        error_messages={"required": "Enter the certificate code"},
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters",
                                      "class": "nhsuk-input nhsuk-u-width-full"}),
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if code is None:
            raise forms.ValidationError(CODE_FORMAT_ERROR)
        return code


class ReflectionForm(forms.Form):
    """A reflection: plain text, or a little HTML (paragraphs, bold, italics, lists, links)."""

    body = forms.CharField(
        label="Your reflection",
        required=False,
        max_length=MAX_REFLECTION_INPUT,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 12, "class": "nhsuk-textarea"}),
        error_messages={"max_length": f"Your reflection must be {MAX_REFLECTION_INPUT:,} characters or fewer."},
    )


class RevokeForm(forms.Form):
    """The reason an admin gives for revoking a certificate."""

    reason = forms.CharField(
        label="Reason for revoking",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Recorded in the audit log. The verify page shows only that the certificate was revoked and when.",
        error_messages={"required": "Enter the reason for revoking this certificate."},
    )

"""Formats of UK professional registration numbers, checked before they print on certificates."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# Each body's published format. GMC: 7-digit reference number. NMC: PIN of two digits, a letter,
# four digits and a letter (e.g. 12A3456E). GPhC: 7-digit registration number. HCPC: a two-letter
# profession prefix and 5-6 digits (e.g. PA123456 for a paramedic, PH12345 for a physiotherapist).
REGISTRATION_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "GMC": (re.compile(r"^\d{7}$"), "a GMC number is 7 digits, e.g. 1234567"),
    "NMC": (re.compile(r"^\d{2}[A-Z]\d{4}[A-Z]$"), "an NMC PIN is 2 digits, a letter, 4 digits and a letter, e.g. 12A3456E"),
    "GPHC": (re.compile(r"^\d{7}$"), "a GPhC registration number is 7 digits, e.g. 2071234"),
    "HCPC": (re.compile(r"^[A-Z]{2}\d{5,6}$"), "an HCPC number is 2 letters and 5 or 6 digits, e.g. PA123456"),
}


def normalise_registration_number(number: str) -> str:
    """Return the number upper-cased with spaces removed, the form the registers print."""
    return re.sub(r"\s+", "", number or "").upper()


def validate_registration_number(body: str, number: str) -> None:
    """Raise ValidationError unless number matches the published format of body."""
    if not body and not number:
        return
    if body and not number:
        raise ValidationError({"registration_number": "Enter your registration number or clear the body."})
    if number and not body:
        raise ValidationError({"registration_body": "Choose the body that issued this registration number."})
    pattern, explanation = REGISTRATION_FORMATS[body]
    if not pattern.match(normalise_registration_number(number)):
        raise ValidationError({"registration_number": f"This does not look right: {explanation}."})

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.validators import normalise_registration_number, validate_registration_number


@pytest.mark.parametrize(
    ("body", "number"),
    [
        ("GMC", "1234567"),
        ("NMC", "12A3456E"),
        ("NMC", "99Z0000A"),
        ("GPHC", "2071234"),
        ("HCPC", "PA123456"),
        ("HCPC", "PH12345"),
        ("", ""),
    ],
)
def test_valid_registration_numbers_pass(body, number):
    validate_registration_number(body, number)


@pytest.mark.parametrize(
    ("body", "number", "field"),
    [
        ("GMC", "123456", "registration_number"),  # 6 digits
        ("GMC", "12345678", "registration_number"),  # 8 digits
        ("GMC", "A234567", "registration_number"),
        ("NMC", "12A3456", "registration_number"),  # missing final letter
        ("NMC", "1A23456E", "registration_number"),
        ("NMC", "12A345EE", "registration_number"),
        ("GPHC", "207123", "registration_number"),
        ("GPHC", "GP20712", "registration_number"),
        ("HCPC", "P123456", "registration_number"),  # one letter
        ("HCPC", "PA1234", "registration_number"),  # 4 digits
        ("HCPC", "PA1234567", "registration_number"),  # 7 digits
        ("GMC", "", "registration_number"),  # body without number
        ("", "1234567", "registration_body"),  # number without body
    ],
)
def test_invalid_registration_numbers_are_refused_with_the_field_named(body, number, field):
    with pytest.raises(ValidationError) as caught:
        validate_registration_number(body, number)
    assert field in caught.value.message_dict


def test_error_explains_the_expected_format():
    with pytest.raises(ValidationError) as caught:
        validate_registration_number("NMC", "123")
    assert "2 digits, a letter, 4 digits and a letter" in caught.value.message_dict["registration_number"][0]


def test_numbers_are_normalised_before_checking():
    assert normalise_registration_number(" 12a 3456e ") == "12A3456E"
    validate_registration_number("NMC", " 12a 3456e ")
    validate_registration_number("HCPC", "pa 123456")

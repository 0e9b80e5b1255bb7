from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from practices.validators import normalise_ods_code, validate_ods_code


@pytest.mark.parametrize("code", ["A81001", "W00001", "Z00001", "Y12345", " b82005 "])
def test_practice_ods_codes_pass(code):
    validate_ods_code(code)


@pytest.mark.parametrize("code", ["", "A8100", "A810011", "81001A", "AB1001", "A81-01", "RXH", "Q71"])
def test_other_shapes_are_refused_with_an_example(code):
    with pytest.raises(ValidationError) as caught:
        validate_ods_code(code)
    assert "e.g. A81001" in caught.value.messages[0]


def test_codes_are_upper_cased_and_stripped():
    assert normalise_ods_code(" a81001 ") == "A81001"


@pytest.mark.django_db
def test_a_practice_with_a_bad_code_fails_model_validation():
    from tests.practices.factories import make_practice

    with pytest.raises(ValidationError) as caught:
        make_practice(ods_code="A1")
    assert "ods_code" in caught.value.message_dict

"""Verification codes: CSPRNG, at least 128 bits, grouped, without ambiguous letters; tolerant input."""

from __future__ import annotations

import math
import re
from collections import Counter
from unittest import mock

import pytest

from certificates import codes

GROUPED = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){6}$")


def test_codes_carry_at_least_128_bits():
    assert len(codes.ALPHABET) == 32
    assert len(set(codes.ALPHABET)) == 32
    assert codes.CODE_LENGTH * math.log2(len(codes.ALPHABET)) >= 128
    assert codes.BITS >= 128


def test_alphabet_has_no_ambiguous_letters():
    assert not set("ILOU") & set(codes.ALPHABET)


def test_codes_come_from_the_secrets_module():
    with mock.patch("certificates.codes.secrets.randbits", return_value=0) as randbits:
        assert codes.new_code() == "0" * 28
    randbits.assert_called_once_with(codes.BITS)


def test_new_codes_are_well_formed_and_printed_in_groups_of_four():
    code = codes.new_code()
    assert len(code) == 28
    assert set(code) <= set(codes.ALPHABET)
    assert GROUPED.match(codes.format_code(code))


def test_codes_do_not_repeat_and_use_the_whole_alphabet_evenly():
    sample = [codes.new_code() for _ in range(5000)]
    assert len(set(sample)) == len(sample)
    counts = Counter("".join(sample))
    expected = 5000 * 28 / 32
    # Chi-squared with 31 degrees of freedom; 70 is far beyond the 99.99th percentile (~61).
    chi_squared = sum((counts[symbol] - expected) ** 2 / expected for symbol in codes.ALPHABET)
    assert chi_squared < 70


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-2345", "ABCDEFGHJKMNPQRSTVWXYZ012345"),
        ("abcd efgh jkmn pqrs tvwx yz01 2345", "ABCDEFGHJKMNPQRSTVWXYZ012345"),
        ("  abcdefghjkmnpqrstvwxyz012345  ", "ABCDEFGHJKMNPQRSTVWXYZ012345"),
        ("ABCD-EFGH-JKMN-PQRS-TVWX-YZOI-L345", "ABCDEFGHJKMNPQRSTVWXYZ011345"),  # O->0, I/L->1
        ("abcd_efgh.jkmn-pqrs-tvwx-yz01-2345", "ABCDEFGHJKMNPQRSTVWXYZ012345"),
    ],
)
def test_normalising_accepts_what_people_type(typed, expected):
    assert codes.normalise_code(typed) == expected


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "ABCD",
        "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-234",  # one short
        "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-23456",  # one long
        "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-234U",  # U is not in the alphabet
        "ABCD-EFGH-JKMN-PQRS-TVWX-YZ01-234!",
        "<script>alert(1)</script>",
    ],
)
def test_normalising_rejects_what_cannot_be_a_code(typed):
    assert codes.normalise_code(typed) is None

"""Participant IDs and the production check on the pseudonymisation key."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from django.core.exceptions import ImproperlyConfigured

from research import checks
from research.pseudonyms import PATTERN, Pseudonymiser, participant_id


def test_a_participant_id_is_p_and_16_base32_characters_of_the_keyed_hmac():
    key = b"k" * 40
    expected = "P-" + base64.b32encode(hmac.new(key, b"participant:17", hashlib.sha256).digest()[:10]).decode()
    assert participant_id(17, key=key) == expected
    assert PATTERN.match(expected)
    assert len(expected) == 18


def test_ids_are_stable_for_a_key_and_differ_between_learners_and_keys():
    key, other = b"a" * 40, b"b" * 40
    assert participant_id(1, key=key) == participant_id(1, key=key)
    assert participant_id(1, key=key) != participant_id(2, key=key)
    assert participant_id(1, key=key) != participant_id(1, key=other)
    ids = {participant_id(n, key=key) for n in range(5000)}
    assert len(ids) == 5000


def test_the_pseudonymiser_uses_the_study_key(settings):
    settings.RESEARCH_PSEUDONYM_KEY = "x" * 40
    assert Pseudonymiser()(9) == participant_id(9, key=b"x" * 40)
    settings.RESEARCH_PSEUDONYM_KEY = ""
    with pytest.raises(ImproperlyConfigured, match="RESEARCH_PSEUDONYM_KEY is not set"):
        Pseudonymiser()


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "is not set"),
        ("too-short-1234", "shorter than 32"),
        ("dev-only-pseudonym-key", "public default or placeholder"),
        ("replace-me-with-a-long-random-research-key-0123456789", "public default or placeholder"),
        ("a" * 40, "too few characters"),
    ],
)
def test_the_deploy_check_refuses_a_missing_short_public_or_placeholder_key(settings, key, problem):
    settings.RESEARCH_PSEUDONYM_KEY = key
    errors = checks.check_pseudonym_key(None)
    assert [e.id for e in errors] == ["research.E001"]
    assert problem in errors[0].msg


def test_the_deploy_check_accepts_a_long_random_key(settings):
    settings.RESEARCH_PSEUDONYM_KEY = "Vq3x9LrT0mZ8pK2sW5yB7nD4fH6jA1cE-u_Qe"
    assert checks.check_pseudonym_key(None) == []

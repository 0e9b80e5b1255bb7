"""Pseudonymous participant IDs: the one module that turns a user id into what researchers see.

A participant ID is `P-` and 16 base32 characters: the first 80 bits of HMAC-SHA256 of the user's
id, keyed with RESEARCH_PSEUDONYM_KEY (research.conf). The same learner gets the same ID in every
export for as long as the key is kept; without the key the ID cannot be turned back into a user,
nor recomputed from a guessed user id. 80 bits make a collision among even a million participants
vanishingly unlikely (about 1 in 10^12).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

from . import conf

PREFIX = "P-"
# A domain label, so the key could later key another kind of pseudonym without the two colliding.
_DOMAIN = b"participant:"
PATTERN = re.compile(r"^P-[A-Z2-7]{16}$")


def participant_id(user_id: int, *, key: bytes | None = None) -> str:
    """Return the pseudonymous participant ID of a user id."""
    digest = hmac.new(key if key is not None else conf.pseudonym_key(), _DOMAIN + str(int(user_id)).encode(), hashlib.sha256)
    return PREFIX + base64.b32encode(digest.digest()[:10]).decode("ascii")


class Pseudonymiser:
    """Compute participant IDs with one key read, remembering each (an export meets a learner many times)."""

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else conf.pseudonym_key()
        self._seen: dict[int, str] = {}

    def __call__(self, user_id: int) -> str:
        found = self._seen.get(user_id)
        if found is None:
            found = self._seen[user_id] = participant_id(user_id, key=self._key)
        return found

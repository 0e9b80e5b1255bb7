"""Certificate verification codes: 140 random bits written in grouped Crockford base32.

The alphabet leaves out I, L, O and U, so a code read aloud or typed from paper has no look-alike
letters; normalising maps the look-alikes people still type (O for 0, I or L for 1) back.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
CODE_LENGTH = 28  # 28 symbols x 5 bits = 140 bits from the CSPRNG
GROUP_SIZE = 4
BITS = CODE_LENGTH * 5

_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s\-_.·]+")
_VALID = re.compile(f"^[{ALPHABET}]{{{CODE_LENGTH}}}$")


def new_code() -> str:
    """Return a fresh code (ungrouped, as stored) drawn from the operating system's CSPRNG."""
    number = secrets.randbits(BITS)
    symbols = []
    for _ in range(CODE_LENGTH):
        number, index = divmod(number, 32)
        symbols.append(ALPHABET[index])
    return "".join(symbols)


def normalise_code(raw: str) -> str | None:
    """Return the stored form of a code as someone typed it, or None if it cannot be a code."""
    candidate = _SEPARATORS.sub("", (raw or "").strip().upper()).translate(_LOOK_ALIKES)
    return candidate if _VALID.match(candidate) else None


def format_code(code: str) -> str:
    """Return the code in groups of four separated by dashes, as printed."""
    return "-".join(code[i : i + GROUP_SIZE] for i in range(0, len(code), GROUP_SIZE))

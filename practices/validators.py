"""ODS codes identify GP practices in the NHS Organisation Data Service."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# A GP practice's ODS code is one letter followed by five digits (A81001 in England, W00001 in
# Wales, Z00001 in Northern Ireland; Scottish practices carry codes of the same shape in ODS).
ODS_PRACTICE_CODE = re.compile(r"^[A-Z]\d{5}$")


def normalise_ods_code(value: str) -> str:
    """Return the code upper-cased and stripped, as ODS prints it."""
    return (value or "").strip().upper()


def validate_ods_code(value: str) -> None:
    """Raise ValidationError unless value is a GP practice ODS code."""
    if not ODS_PRACTICE_CODE.match(normalise_ods_code(value)):
        raise ValidationError(
            "%(value)s is not a GP practice ODS code: expected one letter and five digits, e.g. A81001.",
            params={"value": value},
            code="invalid_ods_code",
        )

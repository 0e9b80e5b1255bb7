"""Build practices, memberships and invitations through the practices services."""

from __future__ import annotations

import itertools
from datetime import date

from accounts.roles import PracticeRole
from practices import services
from practices.models import Arm, Nation, Practice
from tests.accounts.factories import make_user

_numbers = itertools.count(1)


def make_practice(
    *, arm: str = Arm.IMPLEMENTATION, name: str | None = None, ods_code: str | None = None,
    nation: str = Nation.ENGLAND, randomised_on: date | None = date(2025, 1, 6), **fields,
) -> Practice:
    """Create a practice in the registry (as an import or the admin would, after full validation)."""
    n = next(_numbers)
    practice = Practice(
        ods_code=ods_code or f"A{80000 + n:05d}", name=name or f"Test Practice {n}", nation=nation, arm=arm,
        trial_id=None if arm == Arm.NOT_IN_TRIAL else fields.pop("trial_id", f"T-{n:04d}"),
        randomised_on=None if arm == Arm.NOT_IN_TRIAL else randomised_on, **fields,
    )
    practice.full_clean()
    practice.save()
    return practice


def make_member(
    practice: Practice | None = None, *, role: str = PracticeRole.GP, is_lead: bool = False, on: date | None = None,
    **user_fields,
):
    """Create a verified user and make them a member of the practice through the service."""
    user = make_user(**user_fields)
    membership = services.start_membership(
        user=user, practice=practice or make_practice(), role=role, is_lead=is_lead, on=on
    )
    return membership

"""Who may open a module, and whether what they do there is recorded.

One answer for every door into a module (the page gate, knowledge-check answers, downloads, the
completion page): a member of an implementation-arm or not-in-trial practice is tracked; staff
without a practice and members of a withdrawn practice may read untracked; a control-arm member
is refused (and the attempt is a protocol deviation); anyone else is told how to join a practice.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.roles import is_staff_role
from core.compiled import CompiledQuery
from practices.models import Membership


class Outcome:
    """How a signed-in person's request to open a module is treated."""

    TRACKED = "tracked"  # member of an implementation-arm or not-in-trial practice
    UNTRACKED_STAFF = "untracked_staff"  # editors, moderators, admins, researchers without a practice
    WITHDRAWN = "withdrawn"  # practice withdrew: may read, nothing is collected
    CONTROL_ARM = "control_arm"  # usual-care practice: may not open; recorded as a protocol deviation
    NO_PRACTICE = "no_practice"  # signed in but not a member of any practice


@dataclass(frozen=True)
class Eligibility:
    """Whether a person may open modules now, and whether what they do is recorded."""

    outcome: str
    membership: object | None = None

    @property
    def may_view(self) -> bool:
        return self.outcome in (Outcome.TRACKED, Outcome.UNTRACKED_STAFF, Outcome.WITHDRAWN)

    @property
    def is_tracked(self) -> bool:
        return self.outcome == Outcome.TRACKED


def _memberships_of(user_id: int):
    # Every membership the person has had, with its practice; which is current is decided below.
    return Membership.objects.filter(user_id=user_id).select_related("practice").order_by()


# Asked on every module page view: compiled once per process (core/compiled.py).
_MEMBERSHIPS = CompiledQuery(_memberships_of, stand_ins={"user_id": -918_273_651}, model=Membership, instances=True)


def current_membership_of(user, *, on) -> Membership | None:
    """Return the user's membership current on the date (as Membership.objects.active), from one compiled query."""
    current = [m for m in _MEMBERSHIPS.run(user_id=user.pk) if m.is_active_on(on)]
    if not current:
        return None
    # Membership's own ordering: practice name, then (the same person) the membership's id.
    membership = min(current, key=lambda m: (m.practice.name, m.pk))
    membership.user = user
    return membership


def learner_eligibility(user, *, on) -> Eligibility:
    """Return how the user's module views are treated on the given local date (one query)."""
    membership = current_membership_of(user, on=on)
    if membership is None:
        if is_staff_role(user):
            return Eligibility(Outcome.UNTRACKED_STAFF)
        return Eligibility(Outcome.NO_PRACTICE)
    practice = membership.practice
    if not practice.can_open_modules:
        return Eligibility(Outcome.CONTROL_ARM, membership)
    if practice.is_withdrawn_on(on):
        return Eligibility(Outcome.WITHDRAWN, membership)
    return Eligibility(Outcome.TRACKED, membership)

"""Who may open a module, and whether what they do there is recorded.

One answer for every door into a module (the page gate, knowledge-check answers, downloads, the
completion page): a member of an implementation-arm or not-in-trial practice is tracked; staff
without a practice and members of a withdrawn practice may read untracked; a control-arm member
is refused (and the attempt is a protocol deviation); anyone else is told how to join a practice.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.roles import is_staff_role
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


def learner_eligibility(user, *, on) -> Eligibility:
    """Return how the user's module views are treated on the given local date (one query)."""
    membership = Membership.objects.active(on).select_related("practice", "user").filter(user=user).first()
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

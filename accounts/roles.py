"""Practice roles, the platform's permission groups, and which groups count as staff (MFA required)."""

from __future__ import annotations

from django.core.cache import cache
from django.db import models

from core import content_cache
from core.permissions import ADMIN_GROUP


class PracticeRole(models.TextChoices):
    """Roles in a UK general-practice team: a membership's role and a module's audience."""

    GP = "gp", "GP"
    PRACTICE_NURSE = "practice_nurse", "Practice nurse"
    ADVANCED_NURSE_PRACTITIONER = "anp", "Advanced nurse practitioner"
    HCA = "hca", "Healthcare assistant (HCA)"
    CLINICAL_PHARMACIST = "clinical_pharmacist", "Clinical pharmacist"
    PHYSICIAN_ASSOCIATE = "physician_associate", "Physician associate"
    PRACTICE_MANAGER = "practice_manager", "Practice manager"
    RECEPTION_ADMIN = "reception_admin", "Reception or admin"
    OTHER = "other", "Other"


LEARNER = "Learner"
PRACTICE_LEAD = "Practice lead"
EDITOR = "Editor"
MODERATOR = "Moderator"
RESEARCHER = "Researcher"
ADMIN = ADMIN_GROUP

ALL_GROUPS = (LEARNER, PRACTICE_LEAD, EDITOR, MODERATOR, RESEARCHER, ADMIN)
# Roles that can change content or read trial data across practices: MFA is mandatory.
STAFF_GROUPS = (EDITOR, MODERATOR, RESEARCHER, ADMIN)


def user_in_groups(user, *names: str) -> bool:
    """Return True if the user is active and in any of the named groups (superusers always)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_group_names_cache", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._group_names_cache = cached
    return bool(cached.intersection(names))


GROUP_NAMES_SECONDS = 300


def _group_names_key(user_id: int) -> str:
    return f"accounts:group-names:{user_id}"


def shown_in_groups(user, *names: str) -> bool:
    """Return True if the user is in any of the named groups, for choosing which links a page shows.

    Cached per user (and kept by each process under the content generation, core/content_cache.py):
    a change to the user's groups drops the entry at once everywhere (accounts/receivers.py),
    and a renamed or deleted group shows within GROUP_NAMES_SECONDS. Only for what a page shows;
    whether someone may do something is always decided by user_in_groups, which asks the database.
    """
    if not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    cached = getattr(user, "_shown_group_names", None)
    if cached is None:
        key = _group_names_key(user.pk)
        cached = content_cache.get(key)
        if cached is None:
            cached = frozenset(user.groups.values_list("name", flat=True))
            content_cache.set(key, cached, GROUP_NAMES_SECONDS)
        # Kept on this request's user object too, so a page asking twice reads the cache once.
        user._shown_group_names = cached
    return bool(cached.intersection(names))


def forget_group_names(user_ids) -> None:
    """Drop the cached group names of these users (after their groups changed), in every process too."""
    cache.delete_many([_group_names_key(user_id) for user_id in user_ids])
    content_cache.content_changed()


def is_staff_role(user) -> bool:
    """Return True if the user holds a role for which MFA is required."""
    return user_in_groups(user, *STAFF_GROUPS)

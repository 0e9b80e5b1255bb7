"""Reads about practices and their members, shared by views, other apps and commands."""

from __future__ import annotations

from datetime import date

from django.db.models import QuerySet

from .models import Invitation, Membership, Practice


def current_membership(user, *, on: date | None = None) -> Membership | None:
    """Return the user's membership current on the day (today by default), or None."""
    if user is None or not user.is_authenticated:
        return None
    return Membership.objects.active(on).filter(user=user).select_related("practice").first()


def lead_membership(user, *, on: date | None = None) -> Membership | None:
    """Return the user's membership current on the day (today by default) if they lead their practice, else None."""
    membership = current_membership(user, on=on)
    return membership if membership is not None and membership.is_lead else None


def membership_history(user) -> QuerySet[Membership]:
    """Return every membership the user has had, newest first."""
    return Membership.objects.filter(user=user).select_related("practice").order_by("-started_on", "-pk")


def pending_invitations(practice: Practice) -> QuerySet[Invitation]:
    """Return the practice's invitations sent by a lead that can still be accepted, newest first."""
    return Invitation.objects.usable().filter(practice=practice, source="lead").select_related("invited_by")


def usable_invitation(token: str) -> Invitation | None:
    """Return the invitation with this link token if it can still be accepted."""
    if not token:
        return None
    return Invitation.objects.usable().filter(token=token).select_related("practice", "invited_by").first()

"""Writes for practices: memberships, invitations, join codes and the emails they send."""

from __future__ import annotations

import logging
from datetime import date
from urllib.parse import urljoin

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.roles import LEARNER, PRACTICE_LEAD, PracticeRole
from outbox.services import enqueue_after_commit

from .models import Invitation, InvitationSource, Membership, PendingJoin, Practice, new_join_code

logger = logging.getLogger(__name__)
User = get_user_model()


def normalise_join_code(code: str) -> str:
    """Return a join code as stored: upper case, without spaces or hyphens people type."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def site_url(path: str) -> str:
    """Return an absolute URL on this site for links in emails."""
    return urljoin(settings.WAGTAILADMIN_BASE_URL.rstrip("/") + "/", path.lstrip("/"))


def _check_role(role: str) -> None:
    if role not in PracticeRole.values:
        raise ValidationError({"role": "Choose a role from the list."})


def _check_practice_open(practice: Practice, on: date) -> None:
    if practice.is_withdrawn_on(on):
        raise ValidationError(
            f"{practice.name} withdrew from the trial on {practice.withdrawn_on:%d %B %Y}, so nobody can join it now."
        )


def sync_role_groups(*, user) -> None:
    """Put the user in the Learner and Practice lead groups their open membership implies."""
    membership = Membership.objects.filter(user=user, ended_on__isnull=True).first()
    learner, _ = Group.objects.get_or_create(name=LEARNER)
    lead, _ = Group.objects.get_or_create(name=PRACTICE_LEAD)
    if membership is not None:
        # Anyone who has belonged to a practice stays a learner: their record and certificates remain.
        user.groups.add(learner)
    if membership is not None and membership.is_lead:
        user.groups.add(lead)
    else:
        user.groups.remove(lead)
    # roles.user_in_groups caches group names on the instance.
    user.__dict__.pop("_group_names_cache", None)


@transaction.atomic
def end_membership(*, membership: Membership, on: date | None = None) -> Membership:
    """Close a membership on the given day (today by default), keeping it as history."""
    if membership.ended_on is not None:
        return membership
    on = on or timezone.localdate()
    membership.ended_on = max(on, membership.started_on)
    membership.save(update_fields=["ended_on"])
    sync_role_groups(user=membership.user)
    return membership


@transaction.atomic
def start_membership(
    *, user, practice: Practice, role: str, is_lead: bool = False, on: date | None = None
) -> Membership:
    """Make the user a member of practice from the given day, ending any membership elsewhere.

    A person belongs to one practice at a time; moving practice closes the old membership so the
    learner keeps their history. Re-joining the same practice only updates role and lead flag.
    """
    _check_role(role)
    on = on or timezone.localdate()
    _check_practice_open(practice, on)
    # Lock the user's row so two simultaneous joins cannot both open a membership.
    User.objects.select_for_update().filter(pk=user.pk).first()
    current = Membership.objects.filter(user=user, ended_on__isnull=True).select_related("practice").first()
    if current is not None and current.practice_id == practice.pk:
        if (current.role, current.is_lead) != (role, is_lead):
            current.role, current.is_lead = role, is_lead
            current.save(update_fields=["role", "is_lead"])
        sync_role_groups(user=user)
        return current
    if current is not None:
        end_membership(membership=current, on=on)
    membership = Membership.objects.create(user=user, practice=practice, role=role, is_lead=is_lead, started_on=on)
    sync_role_groups(user=user)
    return membership


@transaction.atomic
def change_member_role(*, membership: Membership, role: str) -> Membership:
    """Record the member's current role in their practice (from their profile)."""
    _check_role(role)
    if membership.ended_on is not None:
        raise ValidationError("This membership has ended; its role is part of the record.")
    if membership.role != role:
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def set_practice_lead(*, membership: Membership, is_lead: bool) -> Membership:
    """Make a member their practice's lead, or stop them being one."""
    if membership.is_lead != is_lead:
        membership.is_lead = is_lead
        membership.save(update_fields=["is_lead"])
    sync_role_groups(user=membership.user)
    return membership


@transaction.atomic
def join_practice_with_code(*, user, join_code: str, role: str) -> Membership:
    """Join the practice whose join code the user typed, in the role they chose."""
    code = normalise_join_code(join_code)
    practice = Practice.objects.filter(join_code=code).first() if code else None
    if practice is None:
        raise ValidationError(
            {"join_code": "No practice has this join code. Check it with your practice lead: it is 8 letters and numbers."}
        )
    return start_membership(user=user, practice=practice, role=role)


@transaction.atomic
def regenerate_join_code(*, practice: Practice) -> Practice:
    """Give the practice a new join code, so the old one stops working."""
    code = new_join_code()
    while Practice.objects.filter(join_code=code).exists():
        code = new_join_code()
    practice.join_code = code
    practice.save(update_fields=["join_code"])
    return practice


def _enqueue_invitation_email(invitation: Invitation) -> None:
    # Recorded in the invitation's transaction and sent by a worker after commit, so a broker
    # outage delays the email instead of failing the request or losing it.
    enqueue_after_commit(task="practices.tasks.send_invitation_email", args=[invitation.pk])


@transaction.atomic
def invite_colleague(
    *, practice: Practice, invited_by, email: str, role: str, first_name: str = "", last_name: str = ""
) -> Invitation:
    """Create an invitation to join practice and email its link to the colleague (via Celery)."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter an email address in the correct format, like name@example.com"}) from None
    _check_role(role)
    _check_practice_open(practice, timezone.localdate())
    if Membership.objects.filter(practice=practice, user__email__iexact=email, ended_on__isnull=True).exists():
        raise ValidationError({"email": f"{email} is already a member of {practice.name}."})
    pending = Invitation.objects.usable().filter(practice=practice, email=email).first()
    if pending is not None:
        raise ValidationError(
            {"email": f"{email} was already invited on {timezone.localtime(pending.created_at):%d %B %Y}. "
             "Cancel that invitation first to send a new one."}
        )
    invitation = Invitation.objects.create(
        practice=practice, email=email, role=role, first_name=first_name.strip(), last_name=last_name.strip(),
        invited_by=invited_by, source=InvitationSource.LEAD,
    )
    _enqueue_invitation_email(invitation)
    return invitation


@transaction.atomic
def revoke_invitation(*, invitation: Invitation) -> Invitation:
    """Cancel an invitation that has not been accepted, so its link stops working."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValidationError("This invitation has already been accepted.")
    if invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
    return invitation


@transaction.atomic
def accept_invitation(*, invitation: Invitation, user) -> Membership:
    """Join the invitation's practice with its role; the link then stops working."""
    invitation = Invitation.objects.select_for_update(of=("self",)).select_related("practice").get(pk=invitation.pk)
    if not invitation.is_usable:
        raise ValidationError(
            "This invitation link has expired, been cancelled or already been used. "
            "Ask your practice lead for a new one."
        )
    membership = start_membership(
        user=user, practice=invitation.practice, role=invitation.role, is_lead=invitation.is_lead
    )
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


@transaction.atomic
def record_staff_welcome(*, user, membership: Membership) -> Invitation:
    """Record that an imported staff member is to be emailed a link to set their password."""
    invitation = Invitation.objects.create(
        practice=membership.practice, email=user.email, first_name=user.first_name, last_name=user.last_name,
        role=membership.role, is_lead=membership.is_lead, source=InvitationSource.IMPORT,
        accepted_at=timezone.now(), accepted_by=user,
    )
    _enqueue_invitation_email(invitation)
    return invitation


def set_password_url(user) -> str:
    """Return an absolute link where the user sets a password (allauth's reset-from-key page)."""
    from allauth.account import app_settings as allauth_settings
    from allauth.account.utils import user_pk_to_url_str

    token = allauth_settings.PASSWORD_RESET_TOKEN_GENERATOR().make_token(user)
    path = reverse("account_reset_password_from_key", kwargs={"uidb36": user_pk_to_url_str(user), "key": token})
    return site_url(path)


@transaction.atomic
def send_invitation_email(*, invitation_id: int) -> bool:
    """Email an invitation once; return False if it was already sent or is no longer wanted."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",)).select_related("practice", "invited_by", "accepted_by")
        .filter(pk=invitation_id).first()
    )
    if invitation is None or invitation.sent_at is not None or invitation.revoked_at is not None:
        return False
    context = {"invitation": invitation, "practice": invitation.practice, "site_name": settings.WAGTAIL_SITE_NAME}
    if invitation.source == InvitationSource.IMPORT:
        user = invitation.accepted_by
        if user is None or user.has_usable_password():
            # They set a password already; nothing to invite them to.
            return False
        context.update(user=user, set_password_url=set_password_url(user), login_url=site_url(reverse("account_login")))
        template = "practices/email/staff_welcome"
    else:
        if not invitation.is_usable:
            return False
        context["join_url"] = site_url(reverse("practices:join_invitation", kwargs={"token": invitation.token}))
        template = "practices/email/invitation"
    subject = render_to_string(f"{template}_subject.txt", context).strip()
    body = render_to_string(f"{template}_message.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["sent_at"])
    logger.info("Sent %s invitation %s", invitation.source, invitation.pk)
    return True


@transaction.atomic
def hold_practice_until_verified(
    *, user, join_code: str = "", role: str = "", invitation_token: str = ""
) -> PendingJoin | None:
    """Keep the practice chosen at sign-up (join code and role, or an invitation) until the address is verified."""
    join_code = join_code.strip()
    if not (join_code or invitation_token):
        PendingJoin.objects.filter(user=user).delete()
        return None
    held, _ = PendingJoin.objects.update_or_create(
        user=user,
        defaults={"join_code": join_code, "role": role if join_code else "", "invitation_token": invitation_token},
    )
    return held


def join_held_practice(*, user) -> Membership | None:
    """Join the practice held since sign-up, now that the address is verified; return the membership or None.

    The hold is taken and deleted first, in its own transaction, so two confirmations cannot both
    use it and a refused code is not retried at every later confirmation; a ValidationError then
    says why, and the learner can still join from the join page.
    """
    from . import selectors

    with transaction.atomic():
        held = PendingJoin.objects.select_for_update().filter(user=user).first()
        if held is None:
            return None
        join_code, role, token = held.join_code, held.role, held.invitation_token
        held.delete()
    if token:
        invitation = selectors.usable_invitation(token)
        if invitation is None:
            raise ValidationError(
                "The invitation you signed up with has expired, been cancelled or already been used. "
                "Ask your practice lead for a new one."
            )
        return accept_invitation(invitation=invitation, user=user)
    return join_practice_with_code(user=user, join_code=join_code, role=role)

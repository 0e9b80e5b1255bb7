from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.roles import LEARNER, PRACTICE_LEAD, PracticeRole
from practices import selectors, services
from practices.models import Arm, Invitation, InvitationSource, Membership, WithdrawalDataChoice
from tests.accounts.factories import make_user
from tests.practices.factories import make_member, make_practice

pytestmark = pytest.mark.django_db


def group_names(user) -> set[str]:
    return set(user.groups.values_list("name", flat=True))


def test_joining_a_new_practice_ends_the_old_membership_and_keeps_it():
    first, second = make_practice(), make_practice()
    membership = make_member(first, on=date(2025, 1, 6))
    with time_machine.travel(date(2025, 3, 1)):
        new = services.start_membership(user=membership.user, practice=second, role=PracticeRole.PRACTICE_NURSE)
    membership.refresh_from_db()
    assert membership.ended_on == date(2025, 3, 1)
    assert (new.practice, new.started_on, new.ended_on) == (second, date(2025, 3, 1), None)
    assert list(selectors.membership_history(membership.user)) == [new, membership]
    assert Membership.objects.filter(user=membership.user, ended_on__isnull=True).count() == 1


def test_rejoining_the_same_practice_updates_role_without_new_history():
    membership = make_member(role=PracticeRole.HCA)
    again = services.start_membership(user=membership.user, practice=membership.practice, role=PracticeRole.GP)
    assert again.pk == membership.pk
    assert again.role == PracticeRole.GP
    assert Membership.objects.filter(user=membership.user).count() == 1


def test_groups_follow_the_membership_lead_flag():
    membership = make_member(is_lead=True)
    user = membership.user
    assert {LEARNER, PRACTICE_LEAD} <= group_names(user)
    services.set_practice_lead(membership=membership, is_lead=False)
    assert PRACTICE_LEAD not in group_names(user)
    assert LEARNER in group_names(user)
    services.start_membership(user=user, practice=make_practice(), role=PracticeRole.GP, is_lead=True)
    assert PRACTICE_LEAD in group_names(user)
    services.end_membership(membership=selectors.current_membership(user))
    assert PRACTICE_LEAD not in group_names(user)


def test_nobody_joins_a_withdrawn_practice():
    practice = make_practice(
        withdrawn_on=date(2025, 5, 1), withdrawal_reason="Data sharing",
        withdrawal_data_choice=WithdrawalDataChoice.RETAIN,
    )
    user = make_user()
    with pytest.raises(ValidationError, match="withdrew from the trial on 01 May 2025"):
        services.join_practice_with_code(user=user, join_code=practice.join_code, role=PracticeRole.GP)
    assert not Membership.objects.filter(user=user).exists()


def test_join_code_is_forgiving_about_case_spaces_and_hyphens():
    practice = make_practice()
    code = practice.join_code.lower()
    typed = f" {code[:4]}-{code[4:]} "
    membership = services.join_practice_with_code(user=make_user(), join_code=typed, role=PracticeRole.HCA)
    assert membership.practice == practice
    assert membership.role == PracticeRole.HCA


def test_a_wrong_join_code_changes_nothing():
    make_practice()
    user = make_user()
    with pytest.raises(ValidationError) as caught:
        services.join_practice_with_code(user=user, join_code="NOTACODE", role=PracticeRole.GP)
    assert "join_code" in caught.value.message_dict
    assert not Membership.objects.filter(user=user).exists()


def test_an_unknown_role_is_refused():
    with pytest.raises(ValidationError):
        services.start_membership(user=make_user(), practice=make_practice(), role="surgeon")


def test_regenerated_join_code_replaces_the_old_one():
    practice = make_practice()
    old = practice.join_code
    services.regenerate_join_code(practice=practice)
    assert practice.join_code != old
    with pytest.raises(ValidationError):
        services.join_practice_with_code(user=make_user(), join_code=old, role=PracticeRole.GP)


def test_invitation_email_is_sent_after_commit_with_the_join_link(django_capture_on_commit_callbacks):
    lead = make_member(is_lead=True)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        invitation = services.invite_colleague(
            practice=lead.practice, invited_by=lead.user, email=" Colleague@Example.org ",
            role=PracticeRole.PRACTICE_NURSE, first_name="Cal",
        )
        assert mail.outbox == []  # nothing leaves before the transaction commits
    assert len(callbacks) == 1
    invitation.refresh_from_db()
    assert invitation.email == "colleague@example.org"
    assert invitation.sent_at is not None
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["colleague@example.org"]
    assert f"/join/{invitation.token}/" in message.body
    assert lead.practice.name in message.subject
    # Running the task again (a retry) sends nothing more.
    assert services.send_invitation_email(invitation_id=invitation.pk) is False
    assert len(mail.outbox) == 1


def test_inviting_a_current_member_or_twice_is_refused():
    lead = make_member(is_lead=True)
    colleague = make_member(lead.practice, email="member@example.org")
    with pytest.raises(ValidationError, match="already a member"):
        services.invite_colleague(
            practice=lead.practice, invited_by=lead.user, email=colleague.user.email, role=PracticeRole.GP
        )
    services.invite_colleague(practice=lead.practice, invited_by=lead.user, email="new@example.org", role=PracticeRole.GP)
    with pytest.raises(ValidationError, match="already invited"):
        services.invite_colleague(practice=lead.practice, invited_by=lead.user, email="NEW@example.org", role=PracticeRole.GP)
    assert Invitation.objects.filter(email="new@example.org").count() == 1


def test_a_bad_email_is_refused():
    lead = make_member(is_lead=True)
    with pytest.raises(ValidationError) as caught:
        services.invite_colleague(practice=lead.practice, invited_by=lead.user, email="not-an-email", role=PracticeRole.GP)
    assert "email" in caught.value.message_dict
    assert not Invitation.objects.exists()


def test_accepting_an_invitation_joins_with_its_role_once():
    lead = make_member(is_lead=True)
    invitation = services.invite_colleague(
        practice=lead.practice, invited_by=lead.user, email="cal@example.org", role=PracticeRole.HCA
    )
    user = make_user(email="cal@example.org")
    membership = services.accept_invitation(invitation=invitation, user=user)
    assert (membership.practice, membership.role, membership.is_lead) == (lead.practice, PracticeRole.HCA, False)
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert selectors.usable_invitation(invitation.token) is None
    with pytest.raises(ValidationError, match="already been used"):
        services.accept_invitation(invitation=invitation, user=make_user())


def test_expired_and_revoked_invitations_cannot_be_accepted():
    lead = make_member(is_lead=True)
    expired = services.invite_colleague(practice=lead.practice, invited_by=lead.user, email="a@example.org", role="gp")
    revoked = services.invite_colleague(practice=lead.practice, invited_by=lead.user, email="b@example.org", role="gp")
    services.revoke_invitation(invitation=revoked)
    user = make_user()
    with time_machine.travel(timezone.now() + timedelta(days=15)):
        assert selectors.usable_invitation(expired.token) is None
        with pytest.raises(ValidationError):
            services.accept_invitation(invitation=expired, user=user)
    with pytest.raises(ValidationError):
        services.accept_invitation(invitation=revoked, user=user)
    assert not Membership.objects.filter(user=user).exists()
    # A revoked invitation's email is not sent even if the task runs late.
    assert services.send_invitation_email(invitation_id=revoked.pk) is False


def test_staff_welcome_email_carries_a_set_password_link(django_capture_on_commit_callbacks):
    from accounts.services import create_invited_user

    practice = make_practice()
    with django_capture_on_commit_callbacks(execute=True):
        user = create_invited_user(email="new.person@example.org", first_name="New", last_name="Person")
        membership = services.start_membership(user=user, practice=practice, role=PracticeRole.GP)
        invitation = services.record_staff_welcome(user=user, membership=membership)
    assert invitation.source == InvitationSource.IMPORT
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    assert "/accounts/password/reset/key/" in mail.outbox[0].body


def test_current_membership_is_the_open_one():
    practice = make_practice(arm=Arm.CONTROL)
    a = make_member(practice, last_name="Zed")
    b = make_member(practice, last_name="Able")
    moved = make_member(practice, last_name="Moved", on=date(2025, 1, 6))
    services.start_membership(user=moved.user, practice=make_practice(), role="gp")
    make_member()  # another practice
    assert selectors.current_membership(a.user) == a
    assert selectors.current_membership(b.user) == b
    assert selectors.current_membership(moved.user).practice != practice
    assert selectors.current_membership(make_user()) is None

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from accounts.roles import PracticeRole
from practices import selectors, services
from practices.models import Invitation, Membership
from tests.accounts.factories import PASSWORD, make_user
from tests.practices.factories import make_member, make_practice

pytestmark = pytest.mark.django_db


def signup_data(email: str, **extra) -> dict:
    return {
        "email": email, "password1": PASSWORD, "password2": PASSWORD,
        "first_name": "Casey", "last_name": "Nurse", **extra,
    }


def test_only_a_practice_lead_may_open_the_invite_page(client):
    lead = make_member(is_lead=True)
    learner = make_member(lead.practice)
    client.force_login(learner.user)
    assert client.get("/practice/invite/").status_code == 403
    assert client.post("/practice/invite/", {"email": "x@example.org", "first_name": "X", "last_name": "Y", "role": "gp"}).status_code == 403
    assert not Invitation.objects.exists()
    client.force_login(lead.user)
    response = client.get("/practice/invite/")
    assert response.status_code == 200
    assert lead.practice.join_code in response.content.decode()


def test_a_lead_invites_a_colleague_and_sees_only_their_own_practices_invitations(client, django_capture_on_commit_callbacks):
    lead = make_member(is_lead=True)
    other_lead = make_member(is_lead=True)
    services.invite_colleague(practice=other_lead.practice, invited_by=other_lead.user, email="secret@example.org", role="gp")
    client.force_login(lead.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/practice/invite/",
            {"email": "new@example.org", "first_name": "New", "last_name": "Colleague", "role": PracticeRole.HCA},
        )
    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["new@example.org"]]
    page = client.get("/practice/invite/").content.decode()
    assert "new@example.org" in page
    assert "secret@example.org" not in page
    assert other_lead.practice.join_code not in page


def test_invite_form_errors_are_shown_and_nothing_is_sent(client):
    lead = make_member(is_lead=True)
    client.force_login(lead.user)
    response = client.post("/practice/invite/", {"email": "nope", "first_name": "", "last_name": "X", "role": ""})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Enter an email address in the correct format" in html
    assert "Enter their first name" in html
    assert not Invitation.objects.exists()


def test_a_lead_cannot_cancel_another_practices_invitation(client):
    lead = make_member(is_lead=True)
    other_lead = make_member(is_lead=True)
    theirs = services.invite_colleague(practice=other_lead.practice, invited_by=other_lead.user, email="t@example.org", role="gp")
    client.force_login(lead.user)
    assert client.post(f"/practice/invitations/{theirs.pk}/cancel/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    mine = services.invite_colleague(practice=lead.practice, invited_by=lead.user, email="m@example.org", role="gp")
    assert client.post(f"/practice/invitations/{mine.pk}/cancel/").status_code == 302
    mine.refresh_from_db()
    assert mine.revoked_at is not None


def test_a_learner_cannot_cancel_invitations_even_in_their_own_practice(client):
    lead = make_member(is_lead=True)
    learner = make_member(lead.practice)
    invitation = services.invite_colleague(practice=lead.practice, invited_by=lead.user, email="i@example.org", role="gp")
    client.force_login(learner.user)
    assert client.post(f"/practice/invitations/{invitation.pk}/cancel/").status_code == 403
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_signup_through_an_invitation_joins_the_practice_without_a_second_verification(client):
    lead = make_member(is_lead=True)
    invitation = services.invite_colleague(
        practice=lead.practice, invited_by=lead.user, email="invitee@example.org", role=PracticeRole.PRACTICE_NURSE
    )
    page = client.get(f"/join/{invitation.token}/")
    assert page.status_code == 200
    assert lead.practice.name in page.content.decode()
    signup_page = client.get("/accounts/signup/").content.decode()
    assert "You are joining" in signup_page
    assert 'name="join_code"' not in signup_page  # the invitation decides the practice
    response = client.post("/accounts/signup/", signup_data("invitee@example.org"))
    assert response.status_code == 302
    assert response["Location"] == "/"  # signed straight in: the link proved the address
    user = selectors.current_membership(Membership.objects.get(user__email="invitee@example.org").user).user
    membership = selectors.current_membership(user)
    assert (membership.practice, membership.role) == (lead.practice, PracticeRole.PRACTICE_NURSE)
    assert EmailAddress.objects.get(user=user).verified
    assert selectors.usable_invitation(invitation.token) is None
    assert client.get("/accounts/profile/").status_code == 200


def test_signup_through_an_invitation_with_another_address_still_needs_verification(
    client, django_capture_on_commit_callbacks
):
    lead = make_member(is_lead=True)
    invitation = services.invite_colleague(practice=lead.practice, invited_by=lead.user, email="work@example.org", role="gp")
    client.get(f"/join/{invitation.token}/")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/signup/", signup_data("personal@example.org"))
    assert response["Location"] == "/accounts/confirm-email/"
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get(email="personal@example.org")
    assert not EmailAddress.objects.get(user=user).verified
    # Nobody joins on an unverified address: the invitation waits for the confirmation.
    assert selectors.current_membership(user) is None
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[-1].body).group(1)
    client.post(link)
    assert selectors.current_membership(user).practice == lead.practice
    assert selectors.usable_invitation(invitation.token) is None


def test_a_signed_in_member_elsewhere_accepts_and_moves_practice(client):
    lead = make_member(is_lead=True)
    elsewhere = make_member()
    invitation = services.invite_colleague(practice=lead.practice, invited_by=lead.user, email=elsewhere.user.email, role="hca")
    client.force_login(elsewhere.user)
    page = client.get(f"/join/{invitation.token}/").content.decode()
    assert f"You will leave {elsewhere.practice.name}" in page
    assert client.post(f"/join/{invitation.token}/").status_code == 302
    assert selectors.current_membership(elsewhere.user).practice == lead.practice
    elsewhere.refresh_from_db()
    assert elsewhere.ended_on is not None


def test_an_unknown_or_used_invitation_link_is_not_found(client):
    assert client.get("/join/not-a-token/").status_code == 404
    lead = make_member(is_lead=True)
    invitation = services.invite_colleague(practice=lead.practice, invited_by=lead.user, email="u@example.org", role="gp")
    services.accept_invitation(invitation=invitation, user=make_user())
    response = client.get(f"/join/{invitation.token}/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


def test_signup_with_a_join_code_joins_in_the_chosen_role_once_the_email_is_confirmed(
    client, django_capture_on_commit_callbacks
):
    practice = make_practice()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/signup/",
            signup_data("coded@example.org", join_code=practice.join_code.lower(), practice_role=PracticeRole.HCA),
        )
    assert response.status_code == 302
    # Email verification is still mandatory: a confirmation email went out, and until it is
    # used the account belongs to no practice.
    assert not Membership.objects.filter(user__email="coded@example.org").exists()
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/confirm-email/\S+/)", mail.outbox[0].body).group(1)
    client.post(link)
    membership = Membership.objects.get(user__email="coded@example.org")
    assert (membership.practice, membership.role) == (practice, PracticeRole.HCA)


def test_signup_with_a_wrong_join_code_creates_nothing(client):
    make_practice()
    response = client.post("/accounts/signup/", signup_data("wrong@example.org", join_code="ZZZZZZZZ", practice_role="gp"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "No practice has this join code" in html
    assert "nhsuk-error-summary" in html
    assert not Membership.objects.exists()
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(email="wrong@example.org").exists()


def test_signup_with_a_join_code_needs_a_role(client):
    practice = make_practice()
    response = client.post("/accounts/signup/", signup_data("norole@example.org", join_code=practice.join_code))
    assert "Choose your role in the practice" in response.content.decode()
    assert not Membership.objects.exists()


def test_join_page_with_code_for_a_signed_in_learner(client):
    practice = make_practice()
    user = make_user()
    client.force_login(user)
    bad = client.post("/join/", {"join_code": "WRONG123", "role": "gp"})
    assert "No practice has this join code" in bad.content.decode()
    good = client.post("/join/", {"join_code": practice.join_code, "role": "gp"})
    assert good.status_code == 302
    assert selectors.current_membership(user).practice == practice


def test_join_page_attempts_are_rate_limited(client):
    user = make_user()
    client.force_login(user)
    for _ in range(10):
        client.post("/join/", {"join_code": "WRONG123", "role": "gp"})
    practice = make_practice()
    response = client.post("/join/", {"join_code": practice.join_code, "role": "gp"})
    assert "Too many attempts" in response.content.decode()
    assert selectors.current_membership(user) is None


def test_join_pages_need_a_signed_in_user(client):
    assert client.get("/join/")["Location"].startswith("/accounts/login/")
    assert client.get("/practice/invite/")["Location"].startswith("/accounts/login/")

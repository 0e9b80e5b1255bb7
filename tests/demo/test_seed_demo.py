from __future__ import annotations

from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from accounts.roles import ALL_GROUPS, STAFF_GROUPS
from demo.accounts import DEMO_PASSWORD, ROLE_ACCOUNTS, seed_demo_accounts
from practices.models import Arm, Membership, Practice

pytestmark = pytest.mark.django_db
User = get_user_model()


def snapshot() -> tuple:
    return (
        list(Practice.objects.order_by("ods_code").values_list("ods_code", "arm", "trial_id", "join_code", "withdrawn_on")),
        list(User.objects.order_by("email").values_list("email", "password")),
        list(Membership.objects.order_by("pk").values_list("user__email", "practice__ods_code", "role", "is_lead", "ended_on")),
        Authenticator.objects.count(),
    )


def test_seed_demo_refuses_unless_demo_data_is_allowed(settings):
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="DEMO_DATA_ALLOWED is off"):
        call_command("seed_demo", stdout=StringIO())
    assert not Practice.objects.exists()


def test_demo_practices_cover_every_arm_with_one_withdrawn_retaining_data():
    seed_demo_accounts()
    arms = {arm: Practice.objects.filter(arm=arm).count() for arm in Arm.values}
    assert arms == {Arm.IMPLEMENTATION: 3, Arm.CONTROL: 2, Arm.NOT_IN_TRIAL: 1}
    withdrawn = Practice.objects.get(withdrawn_on__isnull=False)
    assert (withdrawn.arm, withdrawn.withdrawal_data_choice) == (Arm.IMPLEMENTATION, "retain")
    assert withdrawn.memberships.exists()  # staff who joined before it withdrew
    for practice in Practice.objects.all():
        practice.full_clean()


def test_one_demo_account_per_role_that_can_sign_in(client):
    logins = seed_demo_accounts()
    assert {login.role for login in logins} == set(ALL_GROUPS)
    for person in ROLE_ACCOUNTS:
        user = User.objects.get(email=person.email)
        assert user.groups.filter(name=person.group).exists()
        assert EmailAddress.objects.get(user=user).verified
        has_totp = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        assert has_totp == (person.group in STAFF_GROUPS)
    response = client.post("/accounts/login/", {"login": "learner@example.org", "password": DEMO_PASSWORD})
    assert response["Location"] == "/"
    lead = Membership.objects.get(user__email="lead@example.org", ended_on__isnull=True)
    assert lead.is_lead


def test_seed_demo_command_is_idempotent_and_prints_the_logins():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = snapshot()
    again = StringIO()
    call_command("seed_demo", stdout=again)
    assert snapshot() == first
    text = again.getvalue()
    assert "Demo people: 0 created" in text
    assert f"password for all: {DEMO_PASSWORD}" in text
    for person in ROLE_ACCOUNTS:
        assert person.email in text

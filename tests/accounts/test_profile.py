from __future__ import annotations

import pytest

from accounts.roles import PracticeRole
from tests.accounts.factories import make_user
from tests.practices.factories import make_member

pytestmark = pytest.mark.django_db


def profile_data(**overrides) -> dict:
    data = {
        "first_name": "Jamie", "last_name": "Ward", "role": PracticeRole.PRACTICE_NURSE,
        "registration_body": "NMC", "registration_number": "12a 3456e",
    }
    return {**data, **overrides}


def test_profile_shows_the_practice_and_saves_name_role_and_registration(client):
    membership = make_member(role=PracticeRole.HCA)
    client.force_login(membership.user)
    page = client.get("/accounts/profile/").content.decode()
    assert membership.practice.name in page
    response = client.post("/accounts/profile/", profile_data())
    assert response.status_code == 302
    user = membership.user
    user.refresh_from_db()
    membership.refresh_from_db()
    assert (user.first_name, user.last_name) == ("Jamie", "Ward")
    assert (user.registration_body, user.registration_number) == ("NMC", "12A3456E")
    assert user.registration_display == "NMC 12A3456E"
    assert membership.role == PracticeRole.PRACTICE_NURSE


@pytest.mark.parametrize(
    ("body", "number", "message"),
    [
        ("GMC", "12345", "a GMC number is 7 digits"),
        ("HCPC", "123456", "an HCPC number is 2 letters and 5 or 6 digits"),
        ("", "1234567", "Choose the body that issued this registration number"),
        ("GPHC", "", "Enter your registration number or clear the body"),
    ],
)
def test_a_bad_registration_is_explained_and_nothing_is_saved(client, body, number, message):
    membership = make_member(role=PracticeRole.HCA)
    client.force_login(membership.user)
    response = client.post(
        "/accounts/profile/", profile_data(first_name="Changed", registration_body=body, registration_number=number)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert message in html
    membership.user.refresh_from_db()
    membership.refresh_from_db()
    assert membership.user.first_name == "Alex"
    assert membership.user.registration_number == ""
    assert membership.role == PracticeRole.HCA


def test_someone_without_a_practice_is_pointed_to_the_join_page(client):
    client.force_login(make_user())
    page = client.get("/accounts/profile/").content.decode()
    assert "You have not joined a practice yet" in page
    assert 'href="/join/"' in page
    assert 'name="role"' not in page
    assert client.post("/accounts/profile/", profile_data(role="")).status_code == 302


def test_profile_needs_sign_in(client):
    assert client.get("/accounts/profile/")["Location"].startswith("/accounts/login/")

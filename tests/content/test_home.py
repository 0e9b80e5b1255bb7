from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_home_page_is_served_with_sign_in_links(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Practice asthma learning" in html
    assert 'href="/accounts/login/"' in html
    assert 'class="nhsuk-skip-link"' in html


def test_login_and_signup_pages_render(client):
    assert client.get("/accounts/login/").status_code == 200
    assert client.get("/accounts/signup/").status_code == 200


def test_admin_login_goes_through_allauth(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_signed_in_home_page_names_the_learners_practice(client):
    from tests.practices.factories import make_member

    membership = make_member(is_lead=True, first_name="Priya")
    client.force_login(membership.user)
    html = client.get("/").content.decode()
    assert "Welcome, Priya" in html
    assert membership.practice.name in html
    assert 'href="/practice/invite/"' in html
    assert "Sign out" in html


def test_signed_in_home_page_without_a_practice_offers_the_join_page(client):
    from tests.accounts.factories import make_user

    client.force_login(make_user())
    html = client.get("/").content.decode()
    assert "You have not joined a practice yet" in html
    assert 'href="/join/"' in html


def test_pages_carry_no_nhs_logo_or_nhs_england_copyright(client):
    html = client.get("/").content.decode()
    assert "nhsuk-header__service-logo" not in html
    assert "NHS England" not in html
    assert "not an NHS website" in html

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

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db


def test_every_header_link_for_a_signed_in_learner_opens(client):
    user = get_user_model().objects.create_user(email="nav@example.org", password="a-Long-passw0rd")
    client.force_login(user)
    html = client.get("/").content.decode()
    urls = re.findall(r'class="nhsuk-header__navigation-link" href="([^"]+)"', html)
    assert urls == ["/modules/", "/learning/record/", "/certificates/"]
    for url in ["/learning/record/", "/certificates/"]:
        assert client.get(url).status_code == 200, url


def test_signed_out_visitors_get_no_learner_navigation(client):
    assert "nhsuk-header__navigation-link" not in client.get("/").content.decode()

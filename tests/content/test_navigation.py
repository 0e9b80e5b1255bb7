from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model

from tests.modules.factories import module_index

pytestmark = pytest.mark.django_db


def test_every_header_link_for_a_signed_in_learner_opens(client):
    index = module_index()
    user = get_user_model().objects.create_user(email="nav@example.org", password="a-Long-passw0rd")
    client.force_login(user)
    html = client.get("/").content.decode()
    urls = re.findall(r'class="nhsuk-header__navigation-link" href="([^"]+)"', html)
    assert urls == [index.url, "/learning/record/", "/certificates/"]
    for url in ["/learning/record/", "/certificates/"]:
        assert client.get(url).status_code == 200, url


def test_signed_out_visitors_get_no_learner_navigation(client):
    assert "nhsuk-header__navigation-link" not in client.get("/").content.decode()


def test_the_module_links_follow_the_module_index_when_an_editor_renames_it(client):
    index = module_index()
    assert f'href="{index.url}">Modules</a>' in client.get("/").content.decode()
    index.slug = "learning-modules"
    index.save_revision().publish()
    assert 'href="/learning-modules/">Modules</a>' in client.get("/").content.decode()

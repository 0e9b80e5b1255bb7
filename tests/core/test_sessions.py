"""Sessions read through SQL compiled once behave as Django's database sessions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from core.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_reads_back_and_another_key_reads_nothing():
    first, second = SessionStore(), SessionStore()
    first["colour"], second["colour"] = "green", "blue"
    first.save()
    second.save()
    assert SessionStore(first.session_key)["colour"] == "green"
    assert SessionStore(second.session_key)["colour"] == "blue"
    missing = SessionStore("a" * 32)
    assert missing.load() == {}
    assert missing.session_key is None


def test_an_expired_session_is_not_loaded():
    store = SessionStore()
    store["colour"] = "green"
    store.save()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))
    again = SessionStore(store.session_key)
    assert again.load() == {}
    assert again.session_key is None


def test_a_signed_in_visitor_stays_signed_in_and_signing_out_ends_it(client, django_user_model):
    user = django_user_model.objects.create_user(email="sam@example.org", password="a-Long-passw0rd")
    client.force_login(user)
    assert client.get("/accounts/profile/").status_code == 200
    key = client.session.session_key
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/accounts/profile/").status_code == 302

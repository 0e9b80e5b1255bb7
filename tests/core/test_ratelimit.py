"""One rate-limit helper, one client-IP rule: per account before per address, proxies trusted only when told."""

from __future__ import annotations

import logging

import pytest
from django.test import RequestFactory, override_settings

from core import ratelimit
from tests.accounts.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

PRACTICE_IP = "203.0.113.10"  # a whole practice behind one NHS network address


def sign_in(client, email: str, password: str = PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": email, "password": password}, **extra)


def test_one_locked_account_does_not_lock_out_colleagues_on_the_same_address(client):
    target = make_user(email="typo@example.org")
    colleague = make_user(email="colleague@example.org")
    for _ in range(5):
        assert "not correct" in sign_in(client, target.email, "wrong-password", REMOTE_ADDR=PRACTICE_IP).content.decode()
    # The account is locked after 5 failures, even for the right password...
    for _ in range(25):
        response = sign_in(client, target.email, "wrong-password", REMOTE_ADDR=PRACTICE_IP)
        assert "Too many failed login attempts" in response.content.decode()
    assert "Too many failed login attempts" in sign_in(client, target.email, REMOTE_ADDR=PRACTICE_IP).content.decode()
    assert "_auth_user_id" not in client.session
    # ...while a colleague at the same address signs in as usual.
    response = sign_in(client, colleague.email, REMOTE_ADDR=PRACTICE_IP)
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(colleague.pk)


def test_many_accounts_guessed_from_one_address_are_still_stopped(client):
    for number in range(100):
        sign_in(client, f"guess{number}@example.org", "wrong-password", REMOTE_ADDR="198.51.100.66")
    victim = make_user(email="victim@example.org")
    response = sign_in(client, victim.email, REMOTE_ADDR="198.51.100.66")
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def _request(remote_addr: str = "10.0.0.5", forwarded_for: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, **headers)


def test_forwarded_for_is_ignored_without_the_trusted_proxy_setting(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    # A spoofed header changes nothing: every request still counts against the real address.
    decisions = [
        ratelimit.hit(_request(forwarded_for=f"192.0.2.{n}"), action="test", rates="3/m/ip").allowed for n in range(4)
    ]
    assert decisions == [True, True, True, False]


def test_forwarded_for_is_honoured_behind_the_configured_proxies(settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    # The proxy appends the address it saw; anything before it was written by the client.
    assert ratelimit.hit(_request(forwarded_for="6.6.6.6, 192.0.2.7"), action="test", rates="1/m/ip").allowed
    assert not ratelimit.hit(_request(forwarded_for="5.5.5.5, 192.0.2.7"), action="test", rates="1/m/ip").allowed
    decisions = [ratelimit.hit(_request(forwarded_for=f"192.0.2.{n}"), action="test", rates="1/m/ip").allowed for n in range(3)]
    assert decisions == [True, True, True]
    assert not ratelimit.hit(_request(forwarded_for="192.0.2.0"), action="test", rates="1/m/ip").allowed
    # A request that reached the inner proxy directly (fewer entries than proxies) is not a 500.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    assert ratelimit.hit(_request(forwarded_for="192.0.2.9"), action="test", rates="1/m/ip").allowed


def test_the_verify_page_and_sign_in_share_the_client_ip_rule(client, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.CERTIFICATES_VERIFY_RATE_LIMIT = (2, 60)
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for _ in range(2):
        assert client.get("/certificates/verify/", HTTP_X_FORWARDED_FOR="192.0.2.7", **proxy).status_code == 200
    assert client.get("/certificates/verify/", HTTP_X_FORWARDED_FOR="192.0.2.7", **proxy).status_code == 429
    # Another learner behind the same proxy is a different client.
    assert client.get("/certificates/verify/", HTTP_X_FORWARDED_FOR="192.0.2.8", **proxy).status_code == 200


def test_the_join_page_limit_goes_through_the_helper(client):
    user = make_user()
    client.force_login(user)
    for _ in range(10):
        client.post("/join/", {"join_code": "WRONG123", "role": "gp"})
    request = RequestFactory().post("/join/")
    request.user = user
    # The helper sees the same counter the page filled, so it is exhausted for this user.
    assert not ratelimit.hit(request, action="join_practice", user=user).allowed


def test_a_cache_outage_never_fails_the_request_and_still_counts(caplog):
    ratelimit._local_cache.clear()
    dead_redis = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:9/0"}}
    try:
        with override_settings(CACHES=dead_redis), caplog.at_level(logging.WARNING, logger="core.ratelimit"):
            decisions = [ratelimit.hit(_request(), action="test", rates="2/m/ip") for _ in range(3)]
        assert [d.allowed for d in decisions] == [True, True, False]
        assert decisions[-1].retry_after == 60
        assert "Rate-limit cache unavailable" in caplog.text
    finally:
        ratelimit._local_cache.clear()


def test_the_trusted_proxy_count_must_be_a_whole_number(monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from config.settings.env import env_int

    monkeypatch.setenv("DJANGO_TRUSTED_PROXY_COUNT", "one")
    with pytest.raises(ImproperlyConfigured, match="DJANGO_TRUSTED_PROXY_COUNT must be a whole number"):
        env_int("DJANGO_TRUSTED_PROXY_COUNT", default=0, minimum=0)
    monkeypatch.setenv("DJANGO_TRUSTED_PROXY_COUNT", "-1")
    with pytest.raises(ImproperlyConfigured, match="at least 0"):
        env_int("DJANGO_TRUSTED_PROXY_COUNT", default=0, minimum=0)
    monkeypatch.setenv("DJANGO_TRUSTED_PROXY_COUNT", "2")
    assert env_int("DJANGO_TRUSTED_PROXY_COUNT", default=0, minimum=0) == 2

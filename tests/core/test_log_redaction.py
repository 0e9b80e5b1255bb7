"""No certificate code, invitation token or allauth key reaches the logs, whatever logs the URL."""

from __future__ import annotations

import io
import logging
import secrets

import pytest
from django.urls import reverse

from core.log_redaction import REDACTED, redact
from tests.certificates.factories import issued_certificate, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def certificate():
    return issued_certificate()


def _secret_requests(client, certificate) -> list[str]:
    """Make requests that Django logs (404s) with a secret in the path; return the secrets."""
    token = secrets.token_urlsafe(32)
    assert client.get(reverse("practices:join_invitation", kwargs={"token": token})).status_code == 404
    # A stranger asking for someone else's certificate PDF gets a 404, logged with the path.
    client.force_login(member().user)
    assert client.get(reverse("certificates:pdf", kwargs={"code": certificate.display_code})).status_code == 404
    return [token, certificate.display_code, certificate.code]


def test_django_request_log_records_carry_no_secret(client, caplog, certificate):
    with caplog.at_level(logging.INFO):
        secrets_used = _secret_requests(client, certificate)
    logged = [record for record in caplog.records if record.name == "django.request"]
    assert len(logged) == 2, [record.getMessage() for record in caplog.records]
    text = "\n".join(record.getMessage() for record in logged)
    assert all(secret not in text for secret in secrets_used), text
    assert text.count(REDACTED) == 2
    assert "/certificates/[redacted]/pdf/" in text


def test_the_configured_handlers_print_no_secret(client, certificate):
    """What the console handler (and runserver's request log) would write out is redacted too."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    printed = io.StringIO()
    previous = handler.setStream(printed)
    try:
        secrets_used = _secret_requests(client, certificate)
        logging.getLogger("django.server").info('"GET %s HTTP/1.1" 200 15', f"/certificates/verify/?code={certificate.code}")
        logging.getLogger("some.app").warning("Could not open %s", f"/join/{secrets_used[0]}/")
    finally:
        handler.setStream(previous)
    out = printed.getvalue()
    assert all(secret not in out for secret in secrets_used), out
    assert "Not Found: /certificates/[redacted]/pdf/" in out
    assert f"Could not open /join/{REDACTED}/" in out


def test_redact_knows_every_secret_route():
    assert redact("Not Found: /certificates/verify/ABCD-EFGH-JKLM/") == "Not Found: /certificates/verify/[redacted]/"
    assert redact("/accounts/confirm-email/MTA:1tX:abc/") == "/accounts/confirm-email/[redacted]/"
    assert redact("/accounts/password/reset/key/3k-c5a-abcdef/ 302") == "/accounts/password/reset/key/[redacted]-[redacted]/ 302"
    assert redact('"GET /certificates/verify/?code=ABCD-EFGH HTTP/1.1"') == '"GET /certificates/verify/?code=[redacted] HTTP/1.1"'
    assert redact("Not Found: /modules/team/") == "Not Found: /modules/team/"


def _gunicorn_access_line(tmp_path, logger_class, environ) -> str:
    """Write one gunicorn access-log line for the request in `environ` and return the file's text."""
    from datetime import timedelta
    from types import SimpleNamespace

    from gunicorn.config import Config

    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log_file))
    cfg.set("access_log_format", '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s?%(q)s')
    logger = logger_class(cfg)
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])
    logger.access(response, SimpleNamespace(headers=[]), environ, timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.flush()
    return log_file.read_text()


def test_gunicorn_access_log_carries_no_secret(tmp_path, certificate):
    from gunicorn.glogging import Logger

    from core.gunicorn_logging import RedactingLogger

    token = secrets.token_urlsafe(32)
    path = reverse("certificates:verify_code", kwargs={"code": certificate.display_code})
    referrer = "https://learning.example.org" + reverse("practices:join_invitation", kwargs={"token": token})
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": f"{path}?code={certificate.code}", "PATH_INFO": path,
        "QUERY_STRING": f"code={certificate.code}", "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1", "HTTP_REFERER": referrer,
    }
    # gunicorn's own logger writes the secrets, which is what the redacting one is for.
    (tmp_path / "plain").mkdir()
    plain = _gunicorn_access_line(tmp_path / "plain", Logger, environ)
    assert certificate.display_code in plain
    assert token in plain

    text = _gunicorn_access_line(tmp_path, RedactingLogger, environ)
    assert text.strip(), "nothing was written to the access log"
    for secret in (certificate.display_code, certificate.code, token):
        assert secret not in text, text
    assert text.count(REDACTED) >= 4, text

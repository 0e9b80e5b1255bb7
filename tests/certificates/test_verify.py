"""The public verify page: only name, module, version, date, learning time and status; rate-limited."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext

from certificates import services
from certificates.codes import format_code, new_code

from .factories import admin_user, build_module, issued_certificate, member

pytestmark = pytest.mark.django_db


def _template_names(response) -> list[str]:
    return [template.name for template in response.templates if template.name.startswith("certificates/")]


def _main_text(response) -> str:
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return " ".join(soup.find("main").get_text(" ").split())


def _summary(response) -> dict[str, str]:
    soup = BeautifulSoup(response.content.decode(), "html.parser")
    return {
        row.find("dt").get_text(strip=True): " ".join(row.find("dd").get_text(" ").split())
        for row in soup.select("main .nhsuk-summary-list__row")
    }


def _welsh_learner():
    return member(
        first_name="Siân", last_name="Llŷr Gruffydd", email="sian.gruffydd@example.org",
        registration_body="NMC", registration_number="12A3456E",
    )


def test_verify_page_shows_only_the_public_facts(client):
    learner = _welsh_learner()
    module = build_module(title="Supporting asthma self-management", cpd_hours="1.50")
    certificate = issued_certificate(learner, module)

    response = client.get(f"/certificates/verify/{certificate.display_code}/")
    assert response.status_code == 200
    assert "certificates/verify.html" in _template_names(response)
    assert _summary(response) == {
        "Name": "Siân Llŷr Gruffydd",
        "Module": "Supporting asthma self-management",
        "Module version": "1",
        "Completed on": "2 March 2026",
        "Learning time": "1.5 hours",
        "Status": "Valid",
    }
    html = response.content.decode()
    for private in ("sian.gruffydd@example.org", "12A3456E", "NMC", learner.practice.name, learner.practice.ods_code):
        assert private not in html
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]


@pytest.mark.parametrize(
    "transform",
    [
        lambda code: code.lower(),
        lambda code: code.replace("-", ""),
        lambda code: code.replace("-", " ").lower(),
        lambda code: code.replace("0", "O").replace("1", "l"),
    ],
)
def test_codes_are_found_however_they_are_typed(client, transform):
    certificate = issued_certificate()
    response = client.get(f"/certificates/verify/{transform(certificate.display_code)}/")
    assert response.status_code == 200
    assert _summary(response)["Name"] == "Alex Learner"


def test_unknown_and_malformed_codes_get_the_same_plain_not_found(client):
    issued_certificate()
    unknown = client.get(f"/certificates/verify/{format_code(new_code())}/")
    malformed = client.get("/certificates/verify/not-a-code/")
    for response in (unknown, malformed):
        assert response.status_code == 200
        assert "Certificate not found" in _main_text(response)
        assert _summary(response) == {}
    # Same templates, including the details rendered for a decoy and then dropped.
    found = client.get(f"/certificates/verify/{issued_certificate().display_code}/")
    assert _template_names(unknown) == _template_names(malformed) == _template_names(found) == [
        "certificates/_verify_details.html", "certificates/verify.html", "certificates/_code_field.html",
    ]
    assert "Decoy" not in unknown.content.decode()


def test_found_unknown_and_malformed_codes_cost_the_same_database_work(client):
    certificate = issued_certificate()
    client.get("/")  # the page shell's cached links (the module list's address) are warm, as on a running site
    counts = []
    for path in (certificate.display_code, format_code(new_code()), "x"):
        with CaptureQueriesContext(connection) as queries:
            client.get(f"/certificates/verify/{path}/")
        counts.append([re.sub(r"'[^']*'|%s", "?", q["sql"]) for q in queries.captured_queries])
    assert len(counts[0]) == 1
    assert counts[0] == counts[1] == counts[2]


def test_the_form_sends_a_typed_code_to_its_page(client):
    certificate = issued_certificate()
    response = client.get("/certificates/verify/", {"code": certificate.code.lower()})
    assert response.status_code == 302
    assert response["Location"] == f"/certificates/verify/{certificate.display_code}/"


def test_the_form_explains_an_empty_or_malformed_code(client):
    empty = client.get("/certificates/verify/", {"code": ""})
    assert "Enter the certificate code" in _main_text(empty)
    wrong = client.get("/certificates/verify/", {"code": "ABCD-1234"})
    assert "28 letters and numbers in groups of 4" in _main_text(wrong)
    assert wrong.status_code == 200


def test_revoked_certificates_say_revoked_and_when(client):
    certificate = issued_certificate()
    with time_machine.travel(datetime(2026, 6, 10, 12, 0, tzinfo=UTC)):
        services.revoke_certificate(certificate=certificate, by=admin_user(), reason="Completed on a shared login.")
    response = client.get(f"/certificates/verify/{certificate.display_code}/")
    assert _summary(response)["Status"] == "Revoked on 10 June 2026"
    assert "Completed on a shared login" not in response.content.decode()


def test_expired_certificates_say_expired_and_when(client):
    module = build_module(valid_months=12)
    certificate = issued_certificate(module=module)
    with time_machine.travel(datetime(2027, 3, 1, 12, 0, tzinfo=UTC)):
        response = client.get(f"/certificates/verify/{certificate.display_code}/")
        assert _summary(response)["Status"] == "Valid"
        assert "until 2 March 2027" in _main_text(response)
    with time_machine.travel(datetime(2027, 3, 2, 12, 0, tzinfo=UTC)):
        response = client.get(f"/certificates/verify/{certificate.display_code}/")
        assert _summary(response)["Status"] == "Expired on 2 March 2027"


def test_verify_is_rate_limited_per_ip(client, settings):
    settings.CERTIFICATES_VERIFY_RATE_LIMIT = (30, 60)
    certificate = issued_certificate()
    path = f"/certificates/verify/{certificate.display_code}/"
    with time_machine.travel(datetime(2026, 4, 1, 10, 0, 5, tzinfo=UTC), tick=False):
        statuses = [client.get(path, REMOTE_ADDR="203.0.113.7").status_code for _ in range(30)]
        assert statuses == [200] * 30
        limited = client.get(path, REMOTE_ADDR="203.0.113.7")
        assert limited.status_code == 429
        # A sliding window (core.ratelimit, allauth's engine): the oldest check frees up 60 s after it.
        assert int(limited["Retry-After"]) == 60
        assert "Too many checks" in _main_text(limited)
        assert "Siân" not in limited.content.decode()
        # The form counts against the same limit; another address is unaffected.
        assert client.get("/certificates/verify/", REMOTE_ADDR="203.0.113.7").status_code == 429
        assert client.get(path, REMOTE_ADDR="198.51.100.2").status_code == 200
    with time_machine.travel(datetime(2026, 4, 1, 10, 1, 4, tzinfo=UTC), tick=False):
        assert client.get(path, REMOTE_ADDR="203.0.113.7").status_code == 429
    with time_machine.travel(datetime(2026, 4, 1, 10, 1, 6, tzinfo=UTC), tick=False):
        assert client.get(path, REMOTE_ADDR="203.0.113.7").status_code == 200

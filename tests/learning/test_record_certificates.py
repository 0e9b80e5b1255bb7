"""The learning record lists certificates and reflections, and its CSV names each completion's certificate."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest

from certificates.models import Certificate
from certificates.services import revoke_certificate, save_reflection
from learning import services

from .factories import build_module, learner, sections_of

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _complete(member, module):
    for i, section in enumerate(sections_of(module)):
        services.record_access(membership=member, module=module, section=section, at=T0 + timedelta(minutes=i))
    return Certificate.objects.get(user=member.user, module=module)


def _admin():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser(email="admin@example.org", password="a-Long-passw0rd")


def _csv(client) -> list[dict]:
    response = client.get("/learning/record.csv")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_names_the_certificate_on_the_completion_row_only(client):
    module = build_module(sections=[(1, 0)] * 2, threshold=100)
    member = learner()
    certificate = _complete(member, module)
    client.force_login(member.user)
    rows = _csv(client)
    completion_rows = [row for row in rows if row["event_type"] == "completion"]
    assert [(r["certificate_code"], r["certificate_status"]) for r in completion_rows] == [(certificate.display_code, "valid")]
    assert {r["certificate_code"] for r in rows if r["event_type"] != "completion"} == {""}
    revoke_certificate(certificate=certificate, by=_admin(), reason="Issued in error")
    assert [r["certificate_status"] for r in _csv(client) if r["event_type"] == "completion"] == ["revoked"]


def test_record_page_lists_certificates_without_a_link_once_revoked_and_shows_reflections(client):
    module = build_module(sections=[(1, 0)], threshold=100)
    member = learner()
    certificate = _complete(member, module)
    save_reflection(user=member.user, module=module, body="<p>I will check <strong>inhaler technique</strong> at every review.</p>")
    client.force_login(member.user)
    html = client.get("/learning/record/").content.decode()
    assert certificate.display_code in html
    assert f"/certificates/{certificate.code}/pdf/" in html
    assert "<strong>inhaler technique</strong>" in html
    revoke_certificate(certificate=certificate, by=_admin(), reason="Issued in error")
    html = client.get("/learning/record/").content.decode()
    assert "revoked on" in html
    assert f"/certificates/{certificate.code}/pdf/" not in html


def test_another_learners_certificates_and_reflections_never_appear(client):
    module = build_module(sections=[(1, 0)], threshold=100)
    other = learner(email="other@example.org")
    certificate = _complete(other, module)
    save_reflection(user=other.user, module=module, body="<p>Private reflection text.</p>")
    me = learner(practice_=other.practice)
    client.force_login(me.user)
    html = client.get("/learning/record/").content.decode()
    assert certificate.display_code not in html
    assert "Private reflection text" not in html
    assert all(row["certificate_code"] == "" for row in _csv(client))

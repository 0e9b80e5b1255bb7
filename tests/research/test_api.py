"""The research API: the same figures as the command, the access log's rows, audited cuts, tokens and who may call.

Built on the research export's trial (tests/research/trial.py), whose learners and practices carry
distinctive names and emails that must appear in no response, and on the uptake tests' trial for
the figures (tests/learning/test_uptake.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date, timedelta

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from accounts.roles import ADMIN, EDITOR, LEARNER, PRACTICE_LEAD, RESEARCHER
from research.api.tokens import create_api_token, revoke_api_token, token_digest
from research.models import ApiToken, DataCut, ExportAction, ExportAudit
from research.services import create_cut, write_cut
from tests.accounts.factories import make_user, sign_in_with_second_factor, staff_user

from .trial import CUT_TIME, IDENTIFYING, PRACTICE_NAMES, build_trial

pytestmark = pytest.mark.django_db

API = "/api/v1/"


def researcher_with_token(group: str = RESEARCHER, *, days: int = 30, **kwargs):
    user = staff_user(group, **kwargs)
    issued = create_api_token(user=user, name="pipeline", days=days)
    return user, issued


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def token():
    """A researcher's working token (the secret)."""
    return researcher_with_token()[1].secret


def get(client, path: str, secret: str, **params):
    return client.get(API + path, params, **bearer(secret))


# Tokens ---------------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_digest_and_records_its_last_use(client):
    user, issued = researcher_with_token()
    row = ApiToken.objects.get(pk=issued.token.pk)
    assert issued.secret.startswith("rk_")
    assert len(issued.secret) == 46
    assert row.digest == hashlib.sha256(issued.secret.encode()).hexdigest() == token_digest(issued.secret)
    assert issued.secret not in {row.digest, row.prefix, row.name}
    assert row.prefix == issued.secret[:11]
    assert row.last_used_at is None
    assert row.expires_at - row.created_at == timedelta(days=30)
    assert get(client, "practices/", issued.secret).status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None


def test_a_token_must_expire_within_90_days_and_have_a_name():
    user = staff_user(RESEARCHER)
    with pytest.raises(ValidationError, match="1 to 90 days"):
        create_api_token(user=user, name="x", days=91)
    with pytest.raises(ValidationError, match="1 to 90 days"):
        create_api_token(user=user, name="x", days=0)
    with pytest.raises(ValidationError, match="what the token is for"):
        create_api_token(user=user, name="  ", days=30)


@pytest.mark.parametrize("group", [LEARNER, PRACTICE_LEAD, EDITOR])
def test_only_researchers_and_admins_can_hold_tokens(group):
    with pytest.raises(PermissionDenied):
        create_api_token(user=make_user(groups=(group,)), name="x", days=30)


def test_a_token_needs_two_factor_set_up_to_be_created():
    with pytest.raises(ValidationError, match="authenticator app"):
        create_api_token(user=staff_user(RESEARCHER, with_totp=False), name="x", days=30)


def test_refused_tokens_say_why(client):
    user, issued = researcher_with_token()
    assert client.get(API + "practices/").status_code == 401
    assert client.get(API + "practices/").headers["WWW-Authenticate"].startswith("Bearer")
    wrong = get(client, "practices/", issued.secret[:-1] + ("A" if issued.secret[-1] != "A" else "B"))
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "Invalid token."})
    assert get(client, "practices/", "rk_short").status_code == 401
    assert client.get(API + "practices/", HTTP_AUTHORIZATION="Bearer two parts").status_code == 401

    with time_machine.travel(issued.token.expires_at + timedelta(seconds=1)):
        expired = get(client, "practices/", issued.secret)
    assert expired.status_code == 401
    assert "expired" in expired.json()["detail"]

    revoke_api_token(token=issued.token, by=user)
    revoked = get(client, "practices/", issued.secret)
    assert (revoked.status_code, revoked.json()) == (401, {"detail": "This token has been revoked."})


def test_a_token_stops_working_when_its_owner_leaves_the_researchers_or_loses_two_factor(client):
    user, issued = researcher_with_token()
    assert get(client, "practices/", issued.secret).status_code == 200
    user.groups.remove(Group.objects.get(name=RESEARCHER))
    user = type(user).objects.get(pk=user.pk)
    left = get(client, "practices/", issued.secret)
    assert left.status_code == 401
    assert "no longer an active researcher" in left.json()["detail"]

    other, other_issued = researcher_with_token()
    Authenticator.objects.filter(user=other).delete()
    no_mfa = get(client, "practices/", other_issued.secret)
    assert no_mfa.status_code == 401
    assert "authenticator app" in no_mfa.json()["detail"]

    inactive, inactive_issued = researcher_with_token()
    type(inactive).objects.filter(pk=inactive.pk).update(is_active=False)
    assert get(client, "practices/", inactive_issued.secret).status_code == 401


def test_admins_tokens_work_too(client):
    _, issued = researcher_with_token(ADMIN)
    assert get(client, "practices/", issued.secret).status_code == 200


@pytest.mark.parametrize("group", [LEARNER, PRACTICE_LEAD, EDITOR])
def test_a_signed_in_session_of_anyone_else_gets_nothing(client, group):
    user = staff_user(group) if group == EDITOR else make_user(groups=(group,))
    sign_in_with_second_factor(client, user)
    for path in ("practices/", "uptake/practices/", "uptake/arms/", "cuts/", "events/", "schema/", "docs/"):
        assert client.get(API + path).status_code in (401, 403), path


def test_data_endpoints_take_tokens_only_and_the_docs_a_second_factor_session(client):
    researcher = staff_user(RESEARCHER)
    client.force_login(researcher)  # a password-only session
    assert client.get(API + "schema/").status_code == 401
    sign_in_with_second_factor(client, researcher)
    assert client.get(API + "schema/").status_code == 200
    assert client.get(API + "docs/").status_code == 200
    # The data itself needs a token even then: every call that returns data is tied to one.
    assert client.get(API + "events/").status_code == 401
    assert client.get(API + "practices/").status_code == 401


def test_the_api_is_read_only(client, token):
    for method in ("post", "put", "patch", "delete"):
        for path in ("practices/", "uptake/practices/", "events/", "cuts/"):
            response = getattr(client, method)(API + path, **bearer(token))
            assert response.status_code == 405, (method, path)
    assert client.head(API + "practices/", **bearer(token)).status_code == 200
    assert client.options(API + "practices/", **bearer(token)).status_code == 200


def test_each_token_is_throttled_on_its_own(client, settings):
    settings.RESEARCH_API_THROTTLE_RATE = "2/minute"
    user, first = researcher_with_token()
    second = create_api_token(user=user, name="second", days=7)
    assert get(client, "practices/", first.secret).status_code == 200
    assert get(client, "practices/", first.secret).status_code == 200
    throttled = get(client, "practices/", first.secret)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    assert get(client, "practices/", second.secret).status_code == 200


# Admin pages ----------------------------------------------------------------------------------


TOKENS = "/admin/research/api-tokens/"


def test_a_researcher_creates_a_token_in_the_admin_sees_it_once_and_revokes_it(client):
    researcher = staff_user(RESEARCHER)
    sign_in_with_second_factor(client, researcher)
    assert TOKENS in client.get("/admin/").content.decode()  # in the Research menu
    response = client.post(TOKENS + "new/", {"name": "analysis pipeline", "days": "90"})
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    page = response.content.decode()
    token = ApiToken.objects.get(user=researcher)
    secret = page.split('id="new-token" type="text" readonly value="')[1].split('"')[0]
    assert token_digest(secret) == token.digest
    assert token.expires_at - token.created_at == timedelta(days=90)
    assert secret not in client.get(TOKENS).content.decode()  # never shown again
    assert client.get(API + "practices/", **bearer(secret)).status_code == 200
    assert "never" not in client.get(TOKENS).content.decode().split(token.prefix)[1].split("</tr>")[0]

    refused = client.post(TOKENS + "new/", {"name": "too long", "days": "365"})
    assert refused.status_code == 200
    assert "Select a valid choice" in refused.content.decode()
    assert ApiToken.objects.filter(user=researcher).count() == 1

    assert client.post(f"{TOKENS}{token.pk}/revoke/").status_code == 302
    token.refresh_from_db()
    assert (token.revoked_by, token.state()) == (researcher, "revoked")
    assert client.get(API + "practices/", **bearer(secret)).status_code == 401


def test_researchers_see_and_revoke_only_their_own_tokens_and_admins_all(client):
    alice, alice_token = researcher_with_token(email="alice.researcher@example.org")
    bob, bob_token = researcher_with_token(email="bob.researcher@example.org")
    sign_in_with_second_factor(client, alice)
    page = client.get(TOKENS).content.decode()
    assert alice_token.token.prefix in page
    assert bob_token.token.prefix not in page
    assert client.get(f"{TOKENS}{bob_token.token.pk}/revoke/").status_code == 404
    assert client.post(f"{TOKENS}{bob_token.token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=bob_token.token.pk).revoked_at is None
    with pytest.raises(PermissionDenied):
        revoke_api_token(token=bob_token.token, by=alice)

    admin = staff_user(ADMIN)
    sign_in_with_second_factor(client, admin)
    page = client.get(TOKENS).content.decode()
    assert alice_token.token.prefix in page
    assert bob_token.token.prefix in page
    assert "bob.researcher" in page
    assert client.post(f"{TOKENS}{bob_token.token.pk}/revoke/").status_code == 302
    assert ApiToken.objects.get(pk=bob_token.token.pk).revoked_by == admin


def test_the_token_pages_refuse_everyone_else(client):
    editor = staff_user(EDITOR)
    _, issued = researcher_with_token()
    sign_in_with_second_factor(client, editor)
    # Wagtail turns a refusal in its admin into a redirect to the dashboard with a message.
    assert client.get(TOKENS).status_code in (302, 403)
    assert client.get(TOKENS + "new/").status_code in (302, 403)
    assert client.post(TOKENS + "new/", {"name": "sneaky", "days": "30"}).status_code in (302, 403)
    assert client.post(f"{TOKENS}{issued.token.pk}/revoke/").status_code in (302, 403)
    assert not ApiToken.objects.filter(user=editor).exists()
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is None
    assert TOKENS not in client.get("/admin/").content.decode()


# Data -----------------------------------------------------------------------------------------


def test_practices_are_the_registry_without_names(client, token):
    build_trial()
    rows = get(client, "practices/", token).json()
    assert rows[0] == {
        "trial_id": "CON-02", "ods_code": "A81002", "arm": "control", "nation": "wales",
        "randomised_on": "2026-01-05", "withdrawn_on": None, "withdrawal_data_choice": "",
    }
    assert [row["trial_id"] for row in rows] == ["CON-02", "IMP-01", "IMP-03", "IMP-05", None]
    assert rows[2]["withdrawal_data_choice"] == "delete"
    assert [row["ods_code"] for row in get(client, "practices/", token, arm="implementation").json()] == [
        "A81001", "A81003", "A81005",
    ]
    assert [row["ods_code"] for row in get(client, "practices/", token, nation="scotland").json()] == ["A81005"]


@pytest.mark.parametrize(
    ("path", "params", "errors"),
    [
        ("practices/", {"arm": "both"}, {"arm": ['"both" is not a valid choice.']}),
        ("practices/", {"name": "Quince"}, {"name": ["Unknown parameter; this endpoint takes arm, nation."]}),
        ("uptake/practices/", {"start": "2026-13-01"},
         {"start": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."]}),
        ("uptake/practices/", {"window_weeks": "0"}, {"window_weeks": ["Ensure this value is greater than or equal to 1."]}),
        ("uptake/arms/", {"window_weeks": "521"},
         {"window_weeks": ["Ensure this value is less than or equal to 520."]}),
        ("uptake/arms/", {"window_weeks": "twelve"}, {"window_weeks": ["A valid integer is required."]}),
        ("uptake/practices/", {"start": "2026-03-01", "end": "2026-03-01"},
         {"end": ["end (2026-03-01) must be after start (2026-03-01): the period is start to before end."]}),
        ("events/", {"page_size": "5001"}, {"page_size": ["Ensure this value is less than or equal to 5000."]}),
        ("events/", {"cursor": "not-a-cursor"},
         {"cursor": ["This cursor is not one the API gave out; start again without it."]}),
        ("cuts/", {"start": "2026-01-01"}, {"start": ["Unknown parameter; this endpoint takes no parameters."]}),
        ("events/", {"cursor": "", "start": "2026-01-01"}, {"cursor": ["Give a value, or leave the parameter out."]}),
        ("uptake/practices/", {"start": ""}, {"start": ["Give a value, or leave the parameter out."]}),
    ],
)
def test_bad_parameters_say_which_and_why(client, token, path, params, errors):
    response = get(client, path, token, **params)
    assert (response.status_code, response.json()) == (400, errors)
    assert not ExportAudit.objects.filter(action=ExportAction.API_EVENTS).exists()


def test_a_parameter_given_twice_is_refused(client, token):
    response = client.get(API + "uptake/practices/?window_weeks=12&window_weeks=13", **bearer(token))
    assert (response.status_code, response.json()) == (400, {"window_weeks": ["Give this parameter once."]})


def test_the_api_reports_the_same_figures_as_the_command_on_the_same_trial(client, token):
    """Every figure of the uptake_report command's JSON, per practice and per arm, equals the API's."""
    from tests.learning.test_uptake import EXPECTED_REPORT, NOW
    from tests.learning.test_uptake import build_trial as build_uptake_trial

    build_uptake_trial()
    for args, params in [
        ((), {}),
        (("--start", "2026-02-01", "--end", "2026-03-01", "--window-weeks", "14"),
         {"start": "2026-02-01", "end": "2026-03-01", "window_weeks": "14"}),
        (("--window-weeks", "1"), {"window_weeks": "1"}),
    ]:
        out = io.StringIO()
        with time_machine.travel(NOW, tick=False):
            call_command("uptake_report", *args, stdout=out)
            practices = get(client, "uptake/practices/", token, **params).json()
            arms = get(client, "uptake/arms/", token, **params).json()
        command = json.loads(out.getvalue())
        assert practices == {key: command[key] for key in ("generated_at", "parameters", "modules", "practices")}
        assert arms == {key: command[key] for key in ("generated_at", "parameters", "modules", "arms")}
        if not args:
            # And both are the report worked out by hand.
            assert command == EXPECTED_REPORT
    # The by-role figures travel too.
    assert practices["practices"][0]["modules"]["team"]["accesses_by_role"] == {"gp": 2, "practice_manager": 1, "practice_nurse": 1}


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_events_are_the_access_log_rows_a_page_at_a_time_each_page_audited(client):
    build_trial()
    user, issued = researcher_with_token()
    with time_machine.travel(CUT_TIME, tick=False):
        cut = create_cut(name="compare", enqueue=False)
        write_cut(cut_id=cut.pk)
        cut.refresh_from_db()
        with zipfile.ZipFile(cut.archive.open("rb")) as archive:
            expected = list(csv.DictReader(io.StringIO(archive.read("access_log.csv").decode("utf-8"))))
        pages, url = [], API + "events/?page_size=3"
        while url:
            body = client.get(url, **bearer(issued.secret)).json()
            pages.append(body["results"])
            url = body["next"]
    # 11 events of included practices (P3 chose deletion, P4 is not in the trial), 3 to a page.
    assert len(expected) == 11
    assert [len(page) for page in pages] == [3, 3, 3, 2]
    rows = [row for page in pages for row in page]
    assert [{key: _csv_value(value) for key, value in row.items()} for row in rows] == expected
    assert rows[0]["occurred_at"] == "2026-01-12T09:00:00Z"
    assert rows[0]["section_slug"] is None
    assert {row["knowledge_check_correct"] for row in rows} == {None, False, True}

    audits = list(ExportAudit.objects.filter(action=ExportAction.API_EVENTS).order_by("id"))
    assert [(a.actor, a.rows, a.parameters["page_size"], a.parameters["api_token"]) for a in audits] == [
        (user, 3, 3, issued.token.pk), (user, 3, 3, issued.token.pk), (user, 3, 3, issued.token.pk),
        (user, 2, 3, issued.token.pk),
    ]
    assert audits[0].parameters["cursor"] is None
    assert audits[1].parameters["cursor"]

    with time_machine.travel(CUT_TIME, tick=False):
        february = get(client, "events/", issued.secret, start="2026-02-01", end="2026-03-01").json()
    assert february["next"] is None
    assert [{key: _csv_value(value) for key, value in row.items()} for row in february["results"]] == [
        row for row in expected if row["occurred_at"].startswith("2026-02")
    ]
    assert len(february["results"]) >= 3


def test_cuts_are_listed_and_a_ready_cuts_zip_downloads_audited(client):
    build_trial()
    user, issued = researcher_with_token()
    with time_machine.travel(CUT_TIME, tick=False):
        ready = create_cut(name="ready-cut", enqueue=False)
        write_cut(cut_id=ready.pk)
        create_cut(name="waiting-cut", start=date(2026, 2, 1), enqueue=False)
    ready.refresh_from_db()
    listed = get(client, "cuts/", issued.secret).json()
    assert [(c["name"], c["status"]) for c in listed] == [("waiting-cut", "pending"), ("ready-cut", "ready")]
    assert listed[0]["download"] is None
    assert listed[0]["files"] == []
    assert listed[0]["start"] == "2026-02-01"
    assert listed[1]["archive_sha256"] == ready.archive_sha256
    assert listed[1]["download"] == "http://testserver/api/v1/cuts/ready-cut/download/"
    assert not ExportAudit.objects.filter(action=ExportAction.API_CUT_DOWNLOADED).exists()  # listing is not a download

    response = client.get(listed[1]["download"], **bearer(issued.secret))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="data-cut-ready-cut.zip"'
    assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == ready.archive_sha256
    audit = ExportAudit.objects.get(action=ExportAction.API_CUT_DOWNLOADED)
    assert (audit.actor, audit.cut, audit.checksum, audit.parameters["api_token"]) == (
        user, ready, ready.archive_sha256, issued.token.pk,
    )

    pending = get(client, "cuts/waiting-cut/download/", issued.secret)
    assert pending.status_code == 409
    assert "waiting to start" in pending.json()["detail"]
    missing = get(client, "cuts/no-such-cut/download/", issued.secret)
    assert (missing.status_code, missing.json()) == (404, {"detail": "No data cut is named 'no-such-cut'."})
    assert ExportAudit.objects.filter(action=ExportAction.API_CUT_DOWNLOADED).count() == 1
    assert DataCut.objects.count() == 2


def test_no_response_holds_a_name_or_an_email(client):
    trial = build_trial()
    _, issued = researcher_with_token()
    with time_machine.travel(CUT_TIME, tick=False):
        cut = create_cut(name="names", enqueue=False, requested_by=trial["members"]["a"].user)
        write_cut(cut_id=cut.pk)
        bodies = [
            get(client, path, issued.secret).content.decode()
            for path in ("practices/", "uptake/practices/", "uptake/arms/", "cuts/", "events/", "schema/")
        ]
    forbidden = set(PRACTICE_NAMES) | {name.split()[0] for name in PRACTICE_NAMES} | {"Data-sharing concerns"}
    for details in IDENTIFYING.values():
        forbidden |= {details["first_name"], details["last_name"], details["email"], details["email"].split("@")[0]}
    for body in bodies:
        assert "@" not in body
        for word in forbidden:
            assert word not in body, word
    assert "IMP-01" in bodies[0]
    assert "P-" in bodies[4]


def test_the_docs_load_from_our_own_static_files_under_the_sites_csp(client):
    researcher = staff_user(RESEARCHER)
    sign_in_with_second_factor(client, researcher)
    page = client.get(API + "docs/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "<script>" not in html
    assert "<style>" not in html
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in page.headers["Content-Security-Policy"]
    script = client.get(API + "docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()
    assert "/api/v1/schema/" in script.content.decode()
    # Swagger UI would send the schema to its public validator from any host but localhost.
    assert '"validatorUrl": null' in script.content.decode()
    schema = client.get(API + "schema/", HTTP_ACCEPT="application/json").json()
    assert set(schema["paths"]) == {
        "/api/v1/practices/", "/api/v1/uptake/practices/", "/api/v1/uptake/arms/", "/api/v1/cuts/",
        "/api/v1/cuts/{name}/download/", "/api/v1/events/",
    }
    assert schema["components"]["securitySchemes"]["researchToken"] == {
        "type": "http", "scheme": "bearer",
        "description": "A research API token (rk_...), created under Research > API tokens in the admin.",
    }

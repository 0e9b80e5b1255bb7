from __future__ import annotations

from datetime import date
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import CommandError, call_command

from accounts.roles import LEARNER, PRACTICE_LEAD, PracticeRole
from practices import selectors
from practices.models import Invitation, Membership, WithdrawalDataChoice
from tests.practices.factories import make_member, make_practice

pytestmark = pytest.mark.django_db
User = get_user_model()

HEADER = "email,first_name,last_name,role,ods_code,is_lead\n"


@pytest.fixture
def practices():
    return make_practice(ods_code="A81001", name="Oak Tree Surgery"), make_practice(ods_code="A81002", name="Elm Surgery")


def write(tmp_path, text: str, name: str = "staff.csv"):
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return path


def run(path, *args, capture=None) -> str:
    out = StringIO()
    if capture is not None:
        with capture(execute=True):
            call_command("import_staff", str(path), *args, stdout=out, stderr=StringIO())
    else:
        call_command("import_staff", str(path), *args, stdout=out, stderr=StringIO())
    return out.getvalue().strip()


def failing(path) -> list[str]:
    err = StringIO()
    with pytest.raises(CommandError, match=r"\d+ problem\(s\) in .*; nothing was imported"):
        call_command("import_staff", str(path), stdout=StringIO(), stderr=err)
    return err.getvalue().splitlines()


GOOD = HEADER + (
    "Pat.Lee@Example.org,Pat,Lee,Practice manager,A81001,yes\n"
    "sam.ng@example.org,Sam,Ng,gp,a81001,no\n"
    "ali.khan@example.org,Ali,Khan,Healthcare assistant,A81002,\n"
)


def test_good_file_creates_accounts_memberships_and_sends_set_password_emails(tmp_path, practices, django_capture_on_commit_callbacks):
    oak, elm = practices
    out = run(write(tmp_path, GOOD), capture=django_capture_on_commit_callbacks)
    assert out == "3 created, 0 updated, 0 unchanged"
    pat = User.objects.get(email="pat.lee@example.org")
    assert not pat.has_usable_password()
    assert (pat.first_name, pat.last_name) == ("Pat", "Lee")
    membership = selectors.current_membership(pat)
    assert (membership.practice, membership.role, membership.is_lead) == (oak, PracticeRole.PRACTICE_MANAGER, True)
    assert {LEARNER, PRACTICE_LEAD} <= set(pat.groups.values_list("name", flat=True))
    ali = selectors.current_membership(User.objects.get(email="ali.khan@example.org"))
    assert (ali.practice, ali.role, ali.is_lead) == (elm, PracticeRole.HCA, False)
    assert not EmailAddress.objects.get(user=pat).verified
    assert sorted(m.to[0] for m in mail.outbox) == ["ali.khan@example.org", "pat.lee@example.org", "sam.ng@example.org"]
    assert all("/accounts/password/reset/key/" in m.body for m in mail.outbox)
    assert Invitation.objects.filter(source="import", sent_at__isnull=False).count() == 3


def test_rerunning_the_same_file_changes_nothing_and_sends_nothing(tmp_path, practices, django_capture_on_commit_callbacks):
    path = write(tmp_path, GOOD)
    run(path, capture=django_capture_on_commit_callbacks)
    memberships = list(Membership.objects.order_by("pk").values())
    sent = len(mail.outbox)
    assert run(path, capture=django_capture_on_commit_callbacks) == "0 created, 0 updated, 3 unchanged"
    assert list(Membership.objects.order_by("pk").values()) == memberships
    assert len(mail.outbox) == sent


def test_existing_people_keep_their_account_and_move_or_change_role(tmp_path, practices):
    oak, elm = practices
    existing = make_member(elm, email="sam.ng@example.org", role=PracticeRole.HCA, first_name="Samuel", on=date(2025, 1, 6))
    out = run(write(tmp_path, GOOD))
    assert out == "2 created, 1 updated, 0 unchanged"
    user = existing.user
    user.refresh_from_db()
    assert user.first_name == "Samuel"  # the person's own name is not overwritten
    assert user.has_usable_password()
    assert selectors.current_membership(user).practice == oak
    existing.refresh_from_db()
    assert existing.ended_on is not None  # history kept


def test_dry_run_writes_nothing(tmp_path, practices):
    assert run(write(tmp_path, GOOD), "--dry-run") == "3 created, 0 updated, 0 unchanged (dry run: nothing was written)"
    assert not User.objects.exists()
    assert not Membership.objects.exists()
    assert mail.outbox == []


def test_bad_rows_are_all_reported_and_nothing_is_written(tmp_path, practices, django_capture_on_commit_callbacks):
    make_practice(
        ods_code="A81009", name="Gone Surgery", withdrawn_on=date(2025, 5, 1),
        withdrawal_data_choice=WithdrawalDataChoice.DELETE,
    )
    bad = HEADER + (
        "good@example.org,Good,Row,gp,A81001,no\n"  # 2
        "not-an-email,Bad,Email,gp,A81001,no\n"  # 3
        "x@example.org,,Nameless,surgeon,A81001,maybe\n"  # 4
        "GOOD@example.org,Dup,Licate,gp,A81001,no\n"  # 5
        "y@example.org,No,Practice,gp,B99999,no\n"  # 6
        "z@example.org,Bad,Code,gp,1234,no\n"  # 7
        "w@example.org,Withdrawn,Practice,gp,A81009,no\n"  # 8
        "v@example.org,Too,Many,gp,A81001,no,extra\n"  # 9
    )
    with django_capture_on_commit_callbacks(execute=True):
        lines = failing(write(tmp_path, bad))
    assert lines == [
        "line 3, column email: 'not-an-email' is not an email address",
        "line 4, column first_name: required",
        "line 4, column role: 'surgeon' is not one of: gp, practice_nurse, anp, hca, clinical_pharmacist, "
        "physician_associate, practice_manager, reception_admin, other",
        "line 4, column is_lead: 'maybe' is not yes or no",
        "line 5, column email: good@example.org is already on line 2 (duplicate)",
        "line 6, column ods_code: no practice has the ODS code B99999; import the practice first",
        "line 7, column ods_code: 1234 is not a GP practice ODS code (one letter and five digits)",
        "line 8, column ods_code: Gone Surgery withdrew on 2025-05-01; staff cannot be added",
        "line 9, column (row): expected 6 values, found 7",
    ]
    assert not User.objects.exists()
    assert not Membership.objects.exists()
    assert mail.outbox == []


def test_imported_person_sets_a_password_from_the_email_and_signs_in(tmp_path, practices, client, django_capture_on_commit_callbacks):
    run(write(tmp_path, HEADER + "new@example.org,New,Person,gp,A81001,no\n"), capture=django_capture_on_commit_callbacks)
    link = next(word for word in mail.outbox[0].body.split() if "/accounts/password/reset/key/" in word)
    path = link.removeprefix("http://testserver")
    response = client.get(path, follow=True)
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    response = client.post(form_url, {"password1": "a-new-Passw0rd-123", "password2": "a-new-Passw0rd-123"})
    assert response.status_code == 302
    user = User.objects.get(email="new@example.org")
    assert user.has_usable_password()
    assert EmailAddress.objects.get(user=user).verified
    client.logout()
    response = client.post("/accounts/login/", {"login": "new@example.org", "password": "a-new-Passw0rd-123"})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_control_characters_are_refused_with_their_line_and_nothing_is_written(tmp_path, practices):
    text = HEADER + (
        "pat.lee@example.org,Pat,Lee,Practice manager,A81001,yes\n"
        "sam.ng@example.org,Sam\x07,Ng,gp,A81001,no\n"
        '"ali.khan@example.org","Ali","Khan\nJones",hca,A81002,\n'
    )
    lines = failing(write(tmp_path, text))
    assert "line 3, column first_name: contains the control character U+0007; remove it" in lines
    assert "line 4, column last_name: contains the control character U+000A (LINE FEED); remove it" in lines
    assert not User.objects.filter(email="pat.lee@example.org").exists()

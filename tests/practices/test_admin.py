from __future__ import annotations

from datetime import date

import pytest

from accounts.roles import ADMIN, EDITOR, PRACTICE_LEAD, RESEARCHER, PracticeRole
from practices.models import Arm, Nation, Practice, WithdrawalDataChoice
from tests.accounts.factories import sign_in_with_second_factor, staff_user
from tests.practices.factories import make_member, make_practice

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry():
    oak = make_practice(name="Oak Tree Surgery", ods_code="A81001", trial_id="P-OAK", arm=Arm.IMPLEMENTATION)
    elm = make_practice(name="Elm Surgery", ods_code="W81002", trial_id="P-ELM", arm=Arm.CONTROL, nation=Nation.WALES)
    gone = make_practice(
        name="Gone Surgery", ods_code="A81003", trial_id="P-GONE", arm=Arm.CONTROL,
        withdrawn_on=date(2025, 6, 1), withdrawal_data_choice=WithdrawalDataChoice.RETAIN,
    )
    make_member(oak, email="lead.oak@example.org", first_name="Olive", is_lead=True, role=PracticeRole.PRACTICE_MANAGER)
    make_member(elm, email="nurse.elm@example.org", first_name="Ellis", role=PracticeRole.PRACTICE_NURSE)
    return oak, elm, gone


def names_in(page: str, shown: list[str], hidden: list[str]) -> bool:
    """Return True if every shown name is on the page and no hidden one is."""
    return all(name in page for name in shown) and not any(name in page for name in hidden)


def listed(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def test_researchers_search_and_filter_practices(client, registry):
    sign_in_with_second_factor(client, staff_user(RESEARCHER))
    base = "/admin/trial_practices/"
    page = listed(client, base)
    assert all(name in page for name in ("Oak Tree Surgery", "Elm Surgery", "Gone Surgery"))
    page = listed(client, base + "?q=W8100")
    assert names_in(page, ["Elm Surgery"], ["Oak Tree Surgery"])
    page = listed(client, base + "?q=p-oak")
    assert names_in(page, ["Oak Tree Surgery"], ["Elm Surgery"])
    page = listed(client, base + "?arm=control")
    assert names_in(page, ["Elm Surgery", "Gone Surgery"], ["Oak Tree Surgery"])
    page = listed(client, base + "?nation=wales")
    assert names_in(page, ["Elm Surgery"], ["Gone Surgery"])
    page = listed(client, base + "?withdrawn=yes")
    assert names_in(page, ["Gone Surgery"], ["Elm Surgery"])
    page = listed(client, base + "?withdrawn=no&arm=control")
    assert names_in(page, ["Elm Surgery"], ["Gone Surgery"])


def test_memberships_search_by_person_and_filter_by_role_and_lead(client, registry):
    sign_in_with_second_factor(client, staff_user(ADMIN))
    base = "/admin/trial_memberships/"
    page = listed(client, base + "?q=nurse.elm")
    assert names_in(page, ["Ellis"], ["Olive"])
    page = listed(client, base + "?q=olive")
    assert names_in(page, ["Olive"], ["Ellis"])
    page = listed(client, base + f"?role={PracticeRole.PRACTICE_NURSE}")
    assert names_in(page, ["Ellis"], ["Olive"])
    page = listed(client, base + "?is_lead=yes")
    assert names_in(page, ["Olive"], ["Ellis"])


def test_researchers_edit_the_registry_with_model_validation(client, registry):
    oak = registry[0]
    sign_in_with_second_factor(client, staff_user(RESEARCHER))
    url = f"/admin/trial_practices/edit/{oak.pk}/"
    data = {
        "ods_code": "A81001", "name": "Oak Tree Surgery", "nation": "england", "trial_id": "P-OAK",
        "arm": "implementation", "randomised_on": "2025-01-06", "withdrawn_on": "2025-07-01",
        "withdrawal_reason": "Closed", "withdrawal_data_choice": "",
    }
    response = client.post(url, data)
    assert response.status_code == 200  # refused: a withdrawal needs the data choice
    assert "Record whether data collected before withdrawal is kept or deleted" in response.content.decode()
    oak.refresh_from_db()
    assert oak.withdrawn_on is None
    response = client.post(url, {**data, "withdrawal_data_choice": "delete"})
    assert response.status_code == 302
    oak.refresh_from_db()
    assert (oak.withdrawn_on, oak.withdrawal_data_choice) == (date(2025, 7, 1), "delete")


def test_nobody_deletes_practices_or_memberships(client, registry):
    oak = registry[0]
    sign_in_with_second_factor(client, staff_user(ADMIN))
    assert client.get(f"/admin/trial_practices/delete/{oak.pk}/").status_code in (302, 403)
    assert client.post(f"/admin/trial_practices/delete/{oak.pk}/").status_code in (302, 403)
    assert Practice.objects.filter(pk=oak.pk).exists()


def test_editing_a_membership_in_the_admin_keeps_the_lead_group_in_step(client, registry):
    oak = registry[0]
    lead = oak.memberships.get(is_lead=True)
    sign_in_with_second_factor(client, staff_user(ADMIN))
    response = client.post(
        f"/admin/trial_memberships/edit/{lead.pk}/",
        {"user": lead.user_id, "practice": oak.pk, "role": lead.role, "is_lead": "", "started_on": "2025-01-06", "ended_on": ""},
    )
    assert response.status_code == 302
    assert not lead.user.groups.filter(name=PRACTICE_LEAD).exists()


def test_editors_and_leads_do_not_see_the_registry(client, registry):
    sign_in_with_second_factor(client, staff_user(EDITOR))
    assert client.get("/admin/trial_practices/").status_code in (302, 403)
    assert client.get("/admin/trial_memberships/").status_code in (302, 403)
    lead = Practice.objects.get(ods_code="A81001").memberships.get(is_lead=True).user
    client.force_login(lead)
    assert client.get("/admin/trial_practices/").status_code == 403

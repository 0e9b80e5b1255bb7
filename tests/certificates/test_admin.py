"""Revocation in the Wagtail admin: admins only, with a reason, in the audit log; and expiry/renewal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from wagtail.models import ModelLogEntry

from accounts.roles import EDITOR
from certificates import services
from certificates.models import Certificate
from learning import services as learning_services
from learning.models import ModuleCompletion
from tests.accounts.factories import sign_in_with_second_factor

from .factories import admin_user, build_module, complete_module, issued_certificate, member, user

pytestmark = pytest.mark.django_db

ADMIN_LIST = "/admin/certificates/"


def _revoke_url(certificate) -> str:
    return f"/admin/certificates/revoke/{certificate.pk}/"


@pytest.mark.parametrize("superuser", [False, True])
def test_admin_lists_and_inspects_certificates_read_only(client, superuser):
    certificate = issued_certificate(member(first_name="Siân", last_name="Gruffydd"))
    sign_in_with_second_factor(client, admin_user(superuser=superuser))
    listing = client.get(ADMIN_LIST)
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Siân Gruffydd" in html
    assert _revoke_url(certificate) in html
    inspect = client.get(f"/admin/certificates/inspect/{certificate.pk}/")
    assert inspect.status_code == 200
    assert certificate.display_code in inspect.content.decode()
    # No screens to add, edit, copy or delete certificates exist.
    for path in ("new/", f"edit/{certificate.pk}/", f"delete/{certificate.pk}/", f"copy/{certificate.pk}/"):
        assert client.get(ADMIN_LIST + path).status_code == 404


def test_admin_revokes_with_a_reason_recorded_in_the_audit_log(client):
    certificate = issued_certificate()
    admin = admin_user()
    sign_in_with_second_factor(client, admin)

    form = client.get(_revoke_url(certificate))
    assert form.status_code == 200
    with time_machine.travel(datetime(2026, 5, 4, 10, 0, tzinfo=UTC), tick=False):
        response = client.post(_revoke_url(certificate), {"reason": "Completed on a colleague's account."})
    assert response.status_code == 302
    assert response["Location"] == f"/admin/certificates/inspect/{certificate.pk}/"

    certificate.refresh_from_db()
    assert certificate.revoked_at == datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
    assert certificate.revoked_by == admin
    assert certificate.revocation_reason == "Completed on a colleague's account."
    entry = ModelLogEntry.objects.get(action="certificates.revoke")
    assert entry.user_id == admin.pk
    assert entry.object_id == str(certificate.pk)
    assert entry.data["reason"] == "Completed on a colleague's account."
    assert entry.message == "Revoked certificate"

    history = client.get(f"/admin/certificates/history/{certificate.pk}/")
    assert history.status_code == 200
    assert "Revoked certificate" in history.content.decode()

    verify = client.get(f"/certificates/verify/{certificate.display_code}/")
    assert "Revoked on 4 May 2026" in verify.content.decode()
    # The holder can no longer download it.
    client.force_login(certificate.user)
    assert client.get(f"/certificates/{certificate.display_code}/pdf/").status_code == 410


def test_revoking_needs_a_reason_and_happens_once(client):
    certificate = issued_certificate()
    sign_in_with_second_factor(client, admin_user())
    response = client.post(_revoke_url(certificate), {"reason": "   "})
    assert response.status_code == 200
    assert "Enter the reason for revoking this certificate." in response.content.decode()
    certificate.refresh_from_db()
    assert certificate.revoked_at is None
    assert not ModelLogEntry.objects.filter(action="certificates.revoke").exists()

    client.post(_revoke_url(certificate), {"reason": "Issued in error."})
    again = client.post(_revoke_url(certificate), {"reason": "Twice."})
    assert "already revoked" in again.content.decode()
    assert ModelLogEntry.objects.filter(action="certificates.revoke").count() == 1
    certificate.refresh_from_db()
    assert certificate.revocation_reason == "Issued in error."


def test_only_admins_can_revoke(client):
    certificate = issued_certificate()
    editor = user(is_staff=True)
    group, _ = Group.objects.get_or_create(name=EDITOR)
    group.permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
    editor.groups.add(group)
    from allauth.mfa.models import Authenticator

    Authenticator.objects.create(user=editor, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"})
    sign_in_with_second_factor(client, editor)
    assert client.get(ADMIN_LIST).status_code in (302, 403)
    response = client.post(_revoke_url(certificate), {"reason": "Not allowed."})
    assert response.status_code in (302, 403)
    certificate.refresh_from_db()
    assert certificate.revoked_at is None
    with pytest.raises(PermissionDenied):
        services.revoke_certificate(certificate=certificate, by=editor, reason="Not allowed.")
    with pytest.raises(PermissionDenied):
        services.revoke_certificate(certificate=certificate, by=certificate.user, reason="Not allowed.")


def test_service_refuses_an_empty_reason():
    certificate = issued_certificate()
    with pytest.raises(ValidationError):
        services.revoke_certificate(certificate=certificate, by=admin_user(), reason="")


def test_expired_certificate_is_renewed_by_completing_again_and_the_old_one_stays():
    module = build_module(valid_months=12)
    learner = member()
    first = issued_certificate(learner, module, at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    assert first.expires_on.isoformat() == "2027-03-02"

    with time_machine.travel(datetime(2027, 3, 5, 9, 0, tzinfo=UTC)):
        assert first.status == "expired"
        renewal_at = datetime(2027, 3, 5, 9, 0, tzinfo=UTC)
        learning_services.start_renewal(membership=learner, module=module, at=renewal_at)
        completion = complete_module(learner, module, at=renewal_at)
    assert completion.cycle == 2
    assert ModuleCompletion.objects.filter(user=learner.user, module=module).count() == 2
    second = Certificate.objects.get(completion=completion)
    assert second.pk != first.pk
    assert second.code != first.code
    assert second.completed_on.isoformat() == "2027-03-05"
    assert second.expires_on.isoformat() == "2028-03-05"
    with time_machine.travel(datetime(2027, 3, 6, 9, 0, tzinfo=UTC)):
        assert Certificate.objects.get(pk=first.pk).status == "expired"
        assert second.status == "valid"
    assert list(Certificate.objects.filter(user=learner.user).order_by("completed_on")) == [first, second]

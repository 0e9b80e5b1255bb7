"""Register the certificate admin screens and the revoke action in Wagtail's audit log."""

from __future__ import annotations

from wagtail import hooks

from .admin_views import CertificateViewSet
from .services import REVOKE_ACTION


@hooks.register("register_admin_viewset")
def register_certificate_viewset():
    return CertificateViewSet("certificate_admin", url_prefix="certificates")


@hooks.register("register_log_actions")
def register_certificate_log_actions(actions) -> None:
    actions.register_action(REVOKE_ACTION, "Revoke certificate", "Revoked certificate")

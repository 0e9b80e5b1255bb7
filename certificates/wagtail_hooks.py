"""Register the certificate admin screens, the revoke action in Wagtail's audit log, and the learning record's panels."""

from __future__ import annotations

from django.urls import reverse
from wagtail import hooks

from learning.hooks import (
    LEARNING_COMPLETION_LINK,
    LEARNING_RECORD_CERTIFICATES,
    LEARNING_RECORD_PANEL,
    Link,
    RecordPanel,
)

from .admin_views import CertificateViewSet
from .selectors import certificates_for_user, reflections_for_user
from .services import REVOKE_ACTION


@hooks.register("register_admin_viewset")
def register_certificate_viewset():
    return CertificateViewSet("certificate_admin", url_prefix="certificates")


@hooks.register("register_log_actions")
def register_certificate_log_actions(actions) -> None:
    actions.register_action(REVOKE_ACTION, "Revoke certificate", "Revoked certificate")


@hooks.register(LEARNING_RECORD_PANEL)
def learning_record_certificates_panel(user) -> RecordPanel:
    """List the learner's certificates on their learning record."""
    return RecordPanel("certificates/record/certificates.html", {"certificates": list(certificates_for_user(user))})


@hooks.register(LEARNING_RECORD_PANEL)
def learning_record_reflections_panel(user) -> RecordPanel:
    """Show the learner's reflections for appraisal on their learning record."""
    return RecordPanel("certificates/record/reflections.html", {"reflections": reflections_for_user(user)})


@hooks.register(LEARNING_RECORD_CERTIFICATES)
def learning_record_certificates(user):
    """Name each completion's certificate in the learning record CSV."""
    return certificates_for_user(user).select_related("completion")


@hooks.register(LEARNING_COMPLETION_LINK)
def completion_certificate_link(user, module) -> Link:
    """Point a learner who has completed a module at their certificates."""
    return Link(reverse("certificates:mine"), "Get your certificate", " to show your appraiser.")

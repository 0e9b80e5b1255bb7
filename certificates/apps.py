"""Certificates: issued on completion, rendered to PDF, verifiable by anyone, revocable by admins."""

from __future__ import annotations

from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Connect the completion receiver and register the system checks.
        from . import checks, receivers  # noqa: F401

from __future__ import annotations

from django.apps import AppConfig


class DevServerConfig(AppConfig):
    """Development-only: `runserver` runs the beat schedule in-process when there is no broker."""

    name = "config.devserver"
    label = "devserver"
    verbose_name = "Development server"

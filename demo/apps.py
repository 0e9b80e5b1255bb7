from __future__ import annotations

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demonstration practices, accounts, modules and activity: installed in dev and test settings only."""

    name = "demo"
    verbose_name = "Demonstration data"

from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "research"
    verbose_name = "Research"

    def ready(self) -> None:
        # Register the system checks (the pseudonymisation key).
        from . import checks  # noqa: F401

        # Research > Uptake (its admin URLs, menu item and views register through Wagtail's hooks).
        from .dashboard import admin  # noqa: F401

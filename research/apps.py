from django.apps import AppConfig


class ResearchConfig(AppConfig):
    name = "research"
    verbose_name = "Research"

    def ready(self) -> None:
        # Register the system checks (the pseudonymisation key).
        from . import checks  # noqa: F401

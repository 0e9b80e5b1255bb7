from django.apps import AppConfig


class ModulesConfig(AppConfig):
    name = "modules"
    verbose_name = "Learning modules"

    def ready(self) -> None:
        from . import receivers, signals  # noqa: F401

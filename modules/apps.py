from django.apps import AppConfig


class ModulesConfig(AppConfig):
    name = "modules"
    verbose_name = "Learning modules"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (module versions and cache freshness)

from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Learning records"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the cache-freshness receivers)

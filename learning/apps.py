from __future__ import annotations

from django.apps import AppConfig


class LearningConfig(AppConfig):
    name = "learning"
    verbose_name = "Learning records"

    def ready(self) -> None:
        from . import hooks  # noqa: F401  (registers what learning adds to the module pages)

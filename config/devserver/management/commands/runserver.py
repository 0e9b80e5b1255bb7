"""`runserver` for the embedded default: Django's (with static files) plus Celery beat's schedule in-process."""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.management.commands.runserver import Command as StaticFilesRunserver

from config.devserver.beat import start_embedded_beat


class Command(StaticFilesRunserver):
    help = (
        "Start the development server. With no Celery broker (the embedded default), it also runs "
        "Celery beat's schedule in-process: scheduled publishing and the outbox sweep, every minute."
    )

    def inner_run(self, *args, **options):
        # inner_run runs in the process that serves requests (the autoreloader's child), once per start.
        if settings.CELERY_TASK_ALWAYS_EAGER:
            start_embedded_beat()
            self.stdout.write(
                "Celery beat's schedule runs in this process (no broker): scheduled pages are published "
                "and the outbox swept every minute."
            )
        super().inner_run(*args, **options)

"""Create and publish the demonstration modules (idempotent)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.modules import seed_demo_modules


class Command(BaseCommand):
    help = "Create and publish the demonstration module index and modules that do not exist yet."

    def handle(self, *args, **options) -> None:
        if not getattr(settings, "DEMO_DATA_ALLOWED", False):
            raise CommandError("Demo data is not allowed with these settings (DEMO_DATA_ALLOWED is off).")
        seed_demo_modules(stdout=self.stdout)

"""manage.py seed_demo: demo practices, one account per role, demo modules and activity (dev only)."""

from __future__ import annotations

import importlib
import importlib.util

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from content.demo import current_totp_code, format_logins, seed_demo_accounts
from practices.models import Practice

# Other apps' demo content, seeded after the accounts they refer to, if those apps provide it.
DEMO_STEPS = [
    ("modules.demo", "seed_demo_modules", "demo modules"),
    ("learning.demo", "seed_demo_learning", "demo learning activity"),
]


class Command(BaseCommand):
    help = "Create demo practices, one account per role, demo modules and activity. Safe to run again."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--totp-code", action="store_true",
            help="only print the current code of the demo staff accounts' authenticator",
        )

    def handle(self, *args, totp_code: bool = False, **options) -> None:
        if not getattr(settings, "DEMO_DATA_ALLOWED", False):
            raise CommandError(
                "seed_demo refuses to run: settings.DEMO_DATA_ALLOWED is off (it is on only in the dev and "
                "test settings). Demo accounts have published passwords and must never reach production."
            )
        if totp_code:
            self.stdout.write(current_totp_code())
            return
        logins = seed_demo_accounts(self.stdout)
        for module_name, function_name, label in DEMO_STEPS:
            self._run_step(module_name, function_name, label)
        join_codes = {p.name: p.join_code for p in Practice.objects.filter(ods_code__in=["K99901", "W99902"])}
        self.stdout.write(format_logins(logins, join_codes))

    def _run_step(self, module_name: str, function_name: str, label: str) -> None:
        # Only a missing module or function is skipped; an error inside one is a real failure.
        if importlib.util.find_spec(module_name) is None:
            self.stdout.write(f"Skipping {label}: {module_name} does not exist yet.")
            return
        function = getattr(importlib.import_module(module_name), function_name, None)
        if function is None:
            self.stdout.write(f"Skipping {label}: {module_name}.{function_name}() does not exist yet.")
            return
        function(self.stdout)

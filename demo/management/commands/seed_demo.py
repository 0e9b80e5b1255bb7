"""manage.py seed_demo: demo practices, one account per role, demo modules and activity (dev and test only)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.accounts import current_totp_code, format_logins, seed_demo_accounts
from demo.learning import seed_demo_learning
from demo.modules import seed_demo_modules
from practices.models import Practice


class Command(BaseCommand):
    help = "Create demo practices, one account per role, demo modules and activity. Safe to run again."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--totp-code", action="store_true",
            help="only print the current code of the demo staff accounts' authenticator",
        )

    def handle(self, *args, totp_code: bool = False, **options) -> None:
        # The demo app is installed only by the dev and test settings; this second guard keeps its
        # published passwords out of any other settings module that installs it by mistake.
        if not getattr(settings, "DEMO_DATA_ALLOWED", False):
            raise CommandError(
                "seed_demo refuses to run: settings.DEMO_DATA_ALLOWED is off (it is on only in the dev and "
                "test settings). Demo accounts have published passwords and must never reach production."
            )
        if totp_code:
            self.stdout.write(current_totp_code())
            return
        logins = seed_demo_accounts(self.stdout)
        # Modules and activity refer to the accounts and practices, so they come after them.
        seed_demo_modules(self.stdout)
        seed_demo_learning(self.stdout)
        join_codes = {p.name: p.join_code for p in Practice.objects.filter(ods_code__in=["K99901", "W99902"])}
        self.stdout.write(format_logins(logins, join_codes))

"""Queue a month's reports: the per-arm summary to researchers, each implementation practice's month to its lead."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from research.monthly import parse_month, send_monthly_reports


class Command(BaseCommand):
    help = (
        "Email a whole past month's reports through the outbox: the per-arm uptake summary to researchers "
        "and admins, and each implementation-arm practice's month to its lead. A report already sent to a "
        "recipient for that month is not sent again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="The month to report, as YYYY-MM; it must have ended.")
        parser.add_argument("--dry-run", action="store_true", help="List who would be sent what; send and record nothing.")

    def handle(self, *args, month: str, dry_run: bool, **options):
        try:
            first_day = parse_month(month)
            result = send_monthly_reports(month=first_day, dry_run=dry_run)
        except ValueError as error:
            raise CommandError(f"--month: {error}") from None
        verb = "Would queue" if dry_run else "Queued"
        self.stdout.write(f"{verb} {len(result.queued)} report(s) for {first_day:%Y-%m}; "
                          f"{len(result.already_sent)} already sent earlier.")
        for line in result.queued:
            self.stdout.write(f"  {'would queue' if dry_run else 'queued'}: {line}")
        for line in result.already_sent:
            self.stdout.write(f"  already sent: {line}")

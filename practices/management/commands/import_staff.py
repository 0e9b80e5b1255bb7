"""manage.py import_staff FILE.csv [--dry-run]: create staff accounts and practice memberships."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from practices.importing import STAFF_COLUMNS, ImportFailed, import_staff


class Command(BaseCommand):
    help = (
        f"Import practice staff from a UTF-8 CSV file with the columns {','.join(STAFF_COLUMNS)}. "
        "New people are emailed a link to set a password. Every row is checked first; any problem "
        "is reported with its line number and nothing is written."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="CSV file (header on line 1)")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report, write nothing")

    def handle(self, *args, file: str, dry_run: bool, **options) -> None:
        try:
            result = import_staff(file, dry_run=dry_run)
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except ImportFailed as failure:
            for error in failure.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(failure.errors)} problem(s) in {file}; nothing was imported.") from None
        self.stdout.write(result.summary())

"""manage.py import_practices FILE.csv [--dry-run]: create or update the trial's practice registry."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from practices.importing import PRACTICE_COLUMNS, ImportFailed, import_practices


class Command(BaseCommand):
    help = (
        f"Import practices from a UTF-8 CSV file with the columns {','.join(PRACTICE_COLUMNS)}. "
        "Every row is checked first; any problem is reported with its line number and nothing is written."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="CSV file (header on line 1)")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report, write nothing")

    def handle(self, *args, file: str, dry_run: bool, **options) -> None:
        try:
            result = import_practices(file, dry_run=dry_run)
        except FileNotFoundError:
            raise CommandError(f"{file}: no such file") from None
        except ImportFailed as failure:
            for error in failure.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(failure.errors)} problem(s) in {file}; nothing was imported.") from None
        self.stdout.write(result.summary())

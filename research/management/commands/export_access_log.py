"""Write the pseudonymised research data package (access log, completions, answers, deviations, practices, codebook)."""

from __future__ import annotations

import getpass
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.management.base import BaseCommand, CommandError

from core.commands import parse_date_option
from research.models import CUT_NAME_PATTERN
from research.services import export_to_directory


class Command(BaseCommand):
    help = (
        "Write the pseudonymised research data package into a new directory: access_log.csv, completions.csv, "
        "knowledge_check_attempts.csv, protocol_deviations.csv, practices.csv, codebook.csv, codebook.md, "
        "datapackage.json and manifest.json. Dates are YYYY-MM-DD at 00:00 UTC; --start inclusive, --end exclusive. "
        "--cut NAME generates that data cut again byte for byte, or freezes a new cut under that name."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--out", required=True, help="A directory that does not exist yet (or is empty).")
        parser.add_argument("--start", help="Include what happened from this date (inclusive), YYYY-MM-DD.")
        parser.add_argument("--end", help="Include what happened before this date (exclusive), YYYY-MM-DD.")
        parser.add_argument(
            "--cut", help="The data cut's name: an existing cut is generated again; a new name freezes one now."
        )
        parser.add_argument(
            "--format", choices=["csv", "xapi"], default="csv",
            help="csv: the data package (default); xapi: the package plus access_log.xapi.jsonl (xAPI 1.0.3 statements).",
        )

    def handle(self, *args, **options) -> None:
        start = parse_date_option("start", options["start"])
        end = parse_date_option("end", options["end"])
        cut_name = options["cut"]
        if cut_name is not None and not re.match(CUT_NAME_PATTERN, cut_name):
            raise CommandError(
                f"--cut must be 1 to 80 lower-case letters, digits, dots, hyphens or underscores, got {cut_name!r}."
            )
        directory = Path(options["out"]).expanduser().resolve()
        try:
            user = getpass.getuser()
        except Exception:  # noqa: BLE001 (no login name in some containers)
            user = "unknown"
        try:
            export = export_to_directory(
                directory=directory, start=start, end=end, cut_name=cut_name, actor_label=f"command line ({user})",
                export_format=options["format"],
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        for written in export.result.files:
            rows = f"{written.rows} rows" if written.rows is not None else ""
            self.stdout.write(f"{written.path:32} {rows:>14}  sha256 {written.sha256}")
        what = f"cut {export.cut.name} ({export.cut.cut_at:%Y-%m-%dT%H:%M:%SZ})" if export.cut else "export"
        self.stdout.write(f"Wrote {what} to {directory}: {export.result.rows} data rows (audit {export.audit.pk}).")

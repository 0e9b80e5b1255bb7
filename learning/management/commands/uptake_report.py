"""Print the trial's uptake per practice and per arm as JSON or CSV (schema in docs/measures.md)."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from core import csv as safe_csv
from core.commands import parse_date_option
from learning.measures import DEFAULT_WINDOW_WEEKS, MAX_WINDOW_WEEKS
from learning.selectors.uptake import ArmSummary, PracticeUptake, UptakeReport, iso_utc, uptake_report

PRACTICE_COLUMNS = [
    "trial_id", "ods_code", "arm", "randomised_on", "withdrawn_on", "module", "kind", "module_status",
    "accesses", "learners", "completers", "completers_by_role", "accesses_by_role", "learners_by_role",
    "first_access_at", "first_completion_at",
    "first_access_days_from_randomisation", "first_completion_days_from_randomisation",
    "accessed_within_window", "practice_completed", "completed_within_window", "protocol_deviations",
]
SPREAD_FIGURES = ("accesses", "learners", "completers")
SPREAD_STATS = ("median", "q1", "q3", "min", "max")
FLAGS = ("practice_completed", "completed_within_window")
ARM_COLUMNS = [
    "arm", "practices", "module", "kind", "module_status",
    *[f"{figure}_{stat}" for figure in SPREAD_FIGURES for stat in SPREAD_STATS],
    *[f"{flag}_{part}" for flag in FLAGS for part in ("count", "share")],
]


def _cell(value: Any) -> Any:
    """Return a CSV cell: booleans as true/false, None as empty, dates in ISO 8601, numbers as numbers.

    Numbers stay numbers so the safe writer leaves a negative day count (an access before
    randomisation) as -3; text cells are neutralised by core.csv.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float | Decimal):
        return value
    return str(value)


def _by_role(counts: dict[str, int]) -> str:
    """Return role counts as role=count pairs joined by ';' (empty when there are none)."""
    return ";".join(f"{role}={count}" for role, count in counts.items())


def practice_csv_rows(rows: list[PracticeUptake], statuses: dict[str, str]) -> list[list[Any]]:
    """Return one CSV row per practice per module, with each module's status (live, unpublished, retired)."""
    out = []
    for row in rows:
        for slug, m in row.modules.items():
            values = [
                row.trial_id, row.ods_code, row.arm, row.randomised_on, row.withdrawn_on, slug, m.kind,
                statuses.get(slug), m.accesses, m.learners, m.completers, _by_role(m.completers_by_role),
                _by_role(m.accesses_by_role), _by_role(m.learners_by_role), iso_utc(m.first_access_at),
                iso_utc(m.first_completion_at), m.first_access_days_from_randomisation,
                m.first_completion_days_from_randomisation, m.accessed_within_window, m.practice_completed,
                m.completed_within_window, m.protocol_deviations,
            ]
            out.append([_cell(v) for v in values])
    return out


def arm_csv_rows(arms: list[ArmSummary], statuses: dict[str, str]) -> list[list[Any]]:
    """Return one CSV row per arm per module, with each module's status (live, unpublished, retired)."""
    out = []
    for arm in arms:
        for slug, m in arm.modules.items():
            values: list[Any] = [arm.arm, arm.practices, slug, m.kind, statuses.get(slug)]
            for figure in SPREAD_FIGURES:
                spread = getattr(m, figure)
                values += [getattr(spread, stat) for stat in SPREAD_STATS]
            for flag in FLAGS:
                count = getattr(m, flag)
                values += [count.count, count.share]
            out.append([_cell(v) for v in values])
    return out


def _parse_weeks(value: str) -> int:
    try:
        weeks = int(value)
    except ValueError:
        raise CommandError(f"--window-weeks must be a whole number of weeks, got {value!r}.") from None
    if weeks < 1:
        raise CommandError(f"--window-weeks must be 1 or more, got {weeks}.")
    if weeks > MAX_WINDOW_WEEKS:
        raise CommandError(f"--window-weeks must be at most {MAX_WINDOW_WEEKS} (ten years), got {weeks}.")
    return weeks


class Command(BaseCommand):
    help = (
        "Print uptake per practice and per arm (accesses, learners, completers, first access and "
        "completion, window flags). Dates are YYYY-MM-DD at 00:00 UTC; --start is inclusive, --end exclusive."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--format", choices=["json", "csv"], default="json", help="Output format (default json).")
        parser.add_argument("--start", help="Count events from this date (inclusive), YYYY-MM-DD.")
        parser.add_argument("--end", help="Count events before this date (exclusive), YYYY-MM-DD.")
        parser.add_argument(
            "--window-weeks", default=str(DEFAULT_WINDOW_WEEKS),
            help=f"Weeks after randomisation for the window flags, 1 to {MAX_WINDOW_WEEKS} (default {DEFAULT_WINDOW_WEEKS})."
            " More than ten years is refused as a slip.",
        )
        parser.add_argument(
            "--arms", action="store_true",
            help="With --format csv, print the per-arm rows instead of the per-practice rows.",
        )

    def handle(self, *args, **options) -> None:
        start = parse_date_option("start", options["start"])
        end = parse_date_option("end", options["end"])
        weeks = _parse_weeks(options["window_weeks"])
        if start is not None and end is not None and start >= end:
            raise CommandError(f"--start ({start}) must be before --end ({end}).")
        if options["arms"] and options["format"] != "csv":
            raise CommandError("--arms applies to --format csv; the JSON output always includes the arms.")
        report = uptake_report(start=start, end=end, window_weeks=weeks)
        if options["format"] == "json":
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self.stdout.write(self._csv(report, arms=options["arms"]), ending="")

    def _csv(self, report: UptakeReport, *, arms: bool) -> str:
        buffer = io.StringIO()
        writer = safe_csv.writer(buffer, lineterminator="\n")
        if arms:
            writer.writerow(ARM_COLUMNS)
            writer.writerows(arm_csv_rows(report.arms, report.module_statuses()))
        else:
            writer.writerow(PRACTICE_COLUMNS)
            writer.writerows(practice_csv_rows(report.practices, report.module_statuses()))
        return buffer.getvalue()

"""Compare the uptake report from the rollups with the one counted from the raw events."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from core.commands import parse_date_option
from learning.measures import DEFAULT_WINDOW_WEEKS
from learning.rollups import fill_state
from learning.selectors.uptake import rollup_differences


class Command(BaseCommand):
    help = (
        "Check the uptake rollups against the raw events: compute every per-practice and per-arm figure both "
        "ways for the period and list each difference (practice, module, figure, both values). Exits non-zero "
        "if any figure differs. Dates are YYYY-MM-DD at 00:00 UTC; --start is inclusive, --end exclusive."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--start", help="Count events from this date (inclusive), YYYY-MM-DD.")
        parser.add_argument("--end", help="Count events before this date (exclusive), YYYY-MM-DD.")

    def handle(self, *args, **options) -> None:
        start = parse_date_option("start", options["start"])
        end = parse_date_option("end", options["end"])
        if start is not None and end is not None and start >= end:
            raise CommandError(f"--start ({start}) must be before --end ({end}).")
        differences = rollup_differences(start=start, end=end, window_weeks=DEFAULT_WINDOW_WEEKS)
        state = fill_state()
        where = (
            "the rollups have never been filled (every figure came from the raw events)" if state is None
            else f"rollups filled through event {state.events_through}, completion {state.completions_through}, "
            f"protocol deviation {state.deviations_through} ({state.status})"
        )
        if differences:
            for difference in differences:
                self.stderr.write(str(difference))
            raise CommandError(f"{len(differences)} figure(s) differ between the rollups and the raw events; {where}.")
        self.stdout.write(f"Every figure matches the raw events; {where}.")

"""Fill the uptake rollups from the events now (Celery beat also does it every minute)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from learning import rollups


class Command(BaseCommand):
    help = (
        "Bring the uptake rollups up to every recorded event, completion and protocol deviation, resuming "
        "a fill that stopped. Safe to run at any time and more than once; --rebuild refills every practice."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--chunk", type=int, default=rollups.DEFAULT_CHUNK_PRACTICES,
            help=f"Practices refilled per transaction (default {rollups.DEFAULT_CHUNK_PRACTICES}).",
        )
        parser.add_argument(
            "--rebuild", action="store_true",
            help="Refill every practice from all its events (after restoring a backup, say), not only what is new.",
        )

    def handle(self, *args, **options) -> None:
        if options["chunk"] < 1:
            raise CommandError(f"--chunk must be a whole number of at least 1, got {options['chunk']}.")
        began = time.monotonic()
        try:
            if options["rebuild"]:
                rollups.reset_uptake_rollups()
            result = rollups.fill_uptake_rollups(chunk_practices=options["chunk"])
        except rollups.FillBusy as busy:
            raise CommandError(f"Not filled: {busy} Run it again in a moment.") from None
        self.stdout.write(
            f"Refilled {result.practices_refilled} practice(s) in {time.monotonic() - began:.1f} s; rollups now hold "
            f"events through id {result.events_through}, completions through id {result.completions_through}, "
            f"protocol deviations through id {result.deviations_through}."
        )

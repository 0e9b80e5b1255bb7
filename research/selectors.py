"""Reads for research exports: the registry and module labels as they stand at a data cut.

A cut freezes what later edits could change in a past row: the practices' registry entries (arm,
nation, dates, data choice), the modules' slugs and kinds, the sections' slugs and positions, and
the highest id of each learning table. Stored with the cut (DataCut.frozen), they make the cut's
files the same whenever it is generated again. What the events recorded at the time (practice,
role, module version, visit number) needs no freezing: events are append-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from wagtail.models import Page

from learning.measures import collection_ends_at
from learning.selectors.events import highest_ids
from modules.models import ModulePage, SectionPage
from practices.models import Practice, WithdrawalDataChoice

from .exports.codebook import TRIAL_ARMS


def freeze_registry() -> dict[str, Any]:
    """Return the registry, module labels and table high-water marks now, as JSON-ready data."""
    # High-water marks first: a row added while the rest is read is then simply left out.
    max_ids = highest_ids()
    practices = {
        str(row["id"]): {
            "trial_id": row["trial_id"],
            "ods_code": row["ods_code"],
            "arm": row["arm"],
            "nation": row["nation"],
            "randomised_on": _iso(row["randomised_on"]),
            "withdrawn_on": _iso(row["withdrawn_on"]),
            "withdrawal_data_choice": row["withdrawal_data_choice"],
        }
        for row in Practice.objects.filter(arm__in=TRIAL_ARMS).order_by("id").values(
            "id", "trial_id", "ods_code", "arm", "nation", "randomised_on", "withdrawn_on", "withdrawal_data_choice"
        )
    }
    modules = {}
    module_paths = {}
    for row in ModulePage.objects.order_by("id").values("id", "slug", "kind", "path"):
        modules[str(row["id"])] = {"slug": row["slug"], "kind": row["kind"]}
        module_paths[row["path"]] = row["id"]
    sections = {}
    positions: dict[int, int] = {}
    for row in SectionPage.objects.order_by("path").values("id", "slug", "path", "live"):
        module_id = module_paths.get(row["path"][: -Page.steplen])
        position = None
        if row["live"] and module_id is not None:
            position = positions[module_id] = positions.get(module_id, 0) + 1
        sections[str(row["id"])] = {"slug": row["slug"], "position": position}
    return {"practices": practices, "modules": modules, "sections": sections, "max_ids": max_ids}


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


@dataclass(frozen=True)
class FrozenPractice:
    """A trial practice as the registry held it at the cut."""

    id: int
    trial_id: str
    ods_code: str
    arm: str
    nation: str
    randomised_on: date | None
    withdrawn_on: date | None
    withdrawal_data_choice: str
    activity_included: bool

    @property
    def collection_ends(self) -> datetime | None:
        """Return the moment collection stopped for the practice (its withdrawal), or None."""
        return collection_ends_at(self.withdrawn_on)


def frozen_practices(frozen: dict[str, Any]) -> list[FrozenPractice]:
    """Return the cut's trial practices in trial-ID order, marking those whose activity is withheld.

    A practice that chose deletion at withdrawal contributes nothing, whether it chose so before the
    cut or since (its choice in today's registry is honoured even when an old cut is generated again).
    """
    deleting_now = set(
        Practice.objects.filter(withdrawn_on__isnull=False, withdrawal_data_choice=WithdrawalDataChoice.DELETE)
        .values_list("id", flat=True)
    )
    out = []
    for key, row in frozen["practices"].items():
        practice_id = int(key)
        deleting = row["withdrawn_on"] is not None and row["withdrawal_data_choice"] == WithdrawalDataChoice.DELETE
        out.append(
            FrozenPractice(
                id=practice_id,
                trial_id=row["trial_id"],
                ods_code=row["ods_code"],
                arm=row["arm"],
                nation=row["nation"],
                randomised_on=date.fromisoformat(row["randomised_on"]) if row["randomised_on"] else None,
                withdrawn_on=date.fromisoformat(row["withdrawn_on"]) if row["withdrawn_on"] else None,
                withdrawal_data_choice=row["withdrawal_data_choice"] or "",
                activity_included=not (deleting or practice_id in deleting_now),
            )
        )
    return sorted(out, key=lambda p: (p.trial_id, p.id))

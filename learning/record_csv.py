"""The learner's own learning record as CSV: one row per event, columns described once here."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC

from core import csv as safe_csv

from .measures import VISIT_RULE
from .models import EventType

# (column, description): the record page lists these, so the file and its description agree.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("occurred_at_utc", "When it happened, in UTC, ISO 8601 (for example 2026-03-02T09:15:00Z)."),
    ("event_type", "What happened: " + "; ".join(f"{value} ({label.lower()})" for value, label in EventType.choices) + "."),
    ("module", "The module's title."),
    ("module_slug", "The module's short name in its web address."),
    ("module_version", "The version of the module you worked on."),
    ("section", "The section's title, if the event was in a section."),
    ("visit_number", f"Which of your visits to the module it belongs to. {VISIT_RULE}"),
    ("practice_ods_code", "Your practice's ODS code at the time."),
    ("practice", "Your practice's name at the time."),
    ("role", "Your role in the practice at the time."),
    ("knowledge_check_id", "For an answer: the question's identifier."),
    ("knowledge_check_correct", "For an answer: yes if it was right, no if not."),
    ("document_id", "For a download: the resource's identifier."),
    ("certificate_code", "For a completion: the code of the certificate it earned, which anyone can verify."),
    ("certificate_status", "For a completion: the certificate's status today (valid, revoked or expired)."),
    ("detail", "Anything else recorded with the event, as JSON."),
)

_DETAIL_COLUMNS = {"block_id", "is_correct", "document_id"}


class _Echo:
    """A file-like object that returns what is written, for streaming csv rows."""

    def write(self, value: str) -> str:
        return value


def iso_utc(moment) -> str:
    """Return an aware datetime as ISO 8601 in UTC with a Z suffix."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _row(event, certificates: dict) -> list[str]:
    detail = event.detail or {}
    certificate = (
        certificates.get((event.module_id, detail.get("cycle", 1))) if event.event_type == EventType.COMPLETION else None
    )
    correct = detail.get("is_correct")
    rest = {key: value for key, value in detail.items() if key not in _DETAIL_COLUMNS}
    return [
        iso_utc(event.occurred_at),
        event.event_type,
        event.module.title,
        event.module.slug,
        event.module_version,
        event.section.title if event.section_id else "",
        event.visit_number,
        event.practice.ods_code,
        event.practice.name,
        event.get_role_display(),
        detail.get("block_id", ""),
        "" if correct is None else ("yes" if correct else "no"),
        str(detail.get("document_id", "")),
        certificate.display_code if certificate else "",
        certificate.status if certificate else "",
        json.dumps(rest, sort_keys=True) if rest else "",
    ]


def record_rows(events: Iterable, certificates: Iterable = ()) -> Iterator[str]:
    """Yield the CSV text, header first, one line per event (UTF-8 with a BOM for spreadsheet apps).

    certificates are the learner's certificates; each is shown on the completion row that earned it.
    """
    by_completion = {
        (certificate.module_id, certificate.completion.cycle): certificate
        for certificate in certificates
        if certificate.completion_id is not None
    }
    # Titles, practice names and answers are text others typed: no cell may start a formula.
    writer = safe_csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([name for name, _ in COLUMNS])
    for event in events:
        yield writer.writerow(_row(event, by_completion))

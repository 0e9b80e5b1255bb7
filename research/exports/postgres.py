"""The access log written by PostgreSQL itself: COPY produces access_log.csv's final bytes.

Python's part is small and per learner, not per event: it computes the participant ID of each
learner with events in the period (the study key never enters the database), and loads them, with
the cut's frozen labels already neutralised by core.csv's rule, into TEMPORARY tables on the
export's connection. `COPY (SELECT ...) TO STDOUT (FORMAT csv)` then joins the events to them and
formats every cell, and Python writes what arrives, a block at a time, to the file and its SHA-256.
The events go in consecutive spans of time, one COPY each, as many spans as COPY_ROWS events fill,
because a connection can run nothing else while a COPY streams: between two COPYs the progress is
reported, and a cut's writer records it for the admin's progress bar.

The bytes are those the csv module writes for the same rows (package._access_rows and
_TableWriter, the path on every other database); tests/research/test_export_bytes.py compares the
two. PostgreSQL's CSV and Python's differ in two ways, both handled here:
- an empty string is written by PostgreSQL as `""` (to tell it from NULL), by Python as nothing:
  every text cell is NULLIF(..., '') so empty is NULL, which both write as nothing;
- PostgreSQL ends each row with `\\n`, Python (lineterminator="\\r\\n") with `\\r\\n`: PostgreSQL
  sends one row per COPY message, so each message's last byte is its line end.
Both quote a cell exactly when it holds a comma, a double quote, `\\r` or `\\n`, and double the
quotes inside; neither quotes for spaces or non-ASCII text.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.db import connection, transaction

from core.csv import safe_cell_sql
from learning.selectors.events import RecordFilter, event_keys, event_rows_sql, event_times

from ..pseudonyms import Pseudonymiser

# Events per COPY: the connection can do nothing else while a COPY streams, so progress is reported
# (and written, by a cut's writer) between them.
COPY_ROWS = 100_000
# The temporary tables, on the export's connection, dropped when the access log is written.
_TABLES = {
    "research_export_participant": "user_id bigint PRIMARY KEY, participant_id text NOT NULL",
    "research_export_practice": "id bigint PRIMARY KEY, trial_id text, arm text, nation text",
    "research_export_module": "id bigint PRIMARY KEY, slug text, kind text",
    "research_export_section": "id bigint PRIMARY KEY, slug text, position integer",
}
# A text column of the events, neutralised as core.csv.safe_cell does and empty as NULL.
_SAFE_ROLE = safe_cell_sql("NULLIF(e.role, '')")
_SAFE_EVENT_TYPE = safe_cell_sql("NULLIF(e.event_type, '')")
_SAFE_BLOCK = safe_cell_sql("NULLIF(e.detail ->> 'block_id', '')")
# Columns in codebook order (ACCESS_LOG). Labels were neutralised in Python before loading. The
# answer's correctness must be a JSON boolean (anything else stops the export with the database's
# error, as the other path's lookup does); the document id an integer, written as one.
_COPY_SELECT = f"""
SELECT pp.participant_id, p.trial_id, p.arm, p.nation, {_SAFE_ROLE}, {_SAFE_EVENT_TYPE}, m.slug, m.kind,
       s.slug, s.position, e.module_version, e.visit_number,
       to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
       {_SAFE_BLOCK}, ((e.detail -> 'is_correct')::boolean)::text,
       NULLIF(e.detail ->> 'document_id', '')::bigint
FROM ({{events}}) AS e
JOIN pg_temp.research_export_participant AS pp ON pp.user_id = e.user_id
JOIN pg_temp.research_export_practice AS p ON p.id = e.practice_id
JOIN pg_temp.research_export_module AS m ON m.id = e.module_id
LEFT JOIN pg_temp.research_export_section AS s ON s.id = e.section_id
WHERE e.occurred_at >= %(start)s AND e.occurred_at < %(end)s
ORDER BY e.occurred_at, e.id
"""  # noqa: S608 (fixed text; the events' query comes from the ORM with its parameters quoted by psycopg)


def available() -> bool:
    """Return True where the database can write the access log (PostgreSQL)."""
    return connection.vendor == "postgresql"


@dataclass(frozen=True)
class CopiedFile:
    """What the COPY wrote: data rows, bytes and SHA-256 of the whole file."""

    rows: int
    bytes: int
    sha256: str


def _none_if_empty(value: Any) -> Any:
    return None if value == "" else value


def write_access_log(
    *, path: Path, header: Iterable[str], where: RecordFilter, modules: dict, sections: dict, practices: dict,
    pseudonym: Pseudonymiser, progress: Callable[[int], None], block_rows: int, copy_rows: int | None = None,
) -> CopiedFile:
    """Write access_log.csv with one COPY per span of time (a span per copy_rows events), reporting progress after each.

    `modules`, `sections` and `practices` map ids to the cells they fill, already neutralised (as
    package._Labels holds them). Every event must have its labels: an event naming a module or
    section the cut did not freeze stops the export, as it does on the other path.
    """
    expected, first, last = event_times(where)
    digest = hashlib.sha256()
    heading = io.StringIO()
    csv.writer(heading, lineterminator="\r\n").writerow(header)
    rows = 0
    size = 0
    with path.open("wb") as handle:
        block = heading.getvalue().encode("utf-8")
        handle.write(block)
        digest.update(block)
        size += len(block)
        source = event_rows_sql(where) if expected else None
        if source is not None:
            keys = event_keys(where)
            for _user_id, module_id, section_id in keys:
                if module_id not in modules or section_id not in sections:
                    raise ValueError(
                        f"access_log.csv: events name module {module_id}, section {section_id}, "
                        "which the cut has no label for."
                    )
            raw = _load_labels(
                participants={user_id: pseudonym(user_id) for user_id in {key[0] for key in keys}},
                modules=modules, sections=sections, practices=practices,
            )
            try:
                for start, end in _spans(first, last, -(-expected // (copy_rows or COPY_ROWS))):
                    written = 0
                    for block, count in _copy_blocks(raw, _copy_statement(raw, source, start, end), block_rows):
                        handle.write(block)
                        digest.update(block)
                        size += len(block)
                        written += count
                    # Only now: the connection is busy until a COPY has sent its last row.
                    rows += written
                    progress(written)
            finally:
                _drop_labels(raw)
    if rows != expected:
        raise ValueError(
            f"access_log.csv: {expected} events were selected but {rows} rows were written "
            "(events recorded or removed while it was written?)."
        )
    return CopiedFile(rows=rows, bytes=size, sha256=digest.hexdigest())


def _spans(first: datetime, last: datetime, count: int) -> Iterator[tuple[datetime, datetime]]:
    """Split the time from first to last (inclusive) into count consecutive [start, end) spans of equal length."""
    end = last + timedelta(microseconds=1)  # PostgreSQL's resolution
    step = (end - first) / count
    bounds = [first + step * n for n in range(count)] + [end]
    for start, stop in zip(bounds, bounds[1:], strict=False):
        if stop > start:
            yield start, stop


def _load_labels(*, participants: dict[int, str], modules: dict, sections: dict, practices: dict) -> Any:
    """Create the temporary tables and fill them; return the raw psycopg connection."""
    connection.ensure_connection()
    raw = connection.connection
    contents = {
        "research_export_participant": sorted(participants.items()),
        "research_export_practice": [(key, *map(_none_if_empty, cells)) for key, cells in practices.items()],
        "research_export_module": [(key, *map(_none_if_empty, cells)) for key, cells in modules.items()],
        "research_export_section": [
            (key, *map(_none_if_empty, cells)) for key, cells in sections.items() if key is not None
        ],
    }
    with transaction.atomic(), raw.cursor() as cursor:
        for name, columns in _TABLES.items():
            cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{name}")
            cursor.execute(f"CREATE TEMPORARY TABLE {name} ({columns})")
            with cursor.copy(f"COPY pg_temp.{name} FROM STDIN") as copy:
                for row in contents[name]:
                    copy.write_row(row)
            cursor.execute(f"ANALYZE pg_temp.{name}")
    return raw


def _drop_labels(raw: Any) -> None:
    """Drop the temporary tables, unless a failed transaction will (it created them, so its rollback removes them)."""
    import psycopg

    if raw.info.transaction_status == psycopg.pq.TransactionStatus.INERROR:
        return
    with raw.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS " + ", ".join(f"pg_temp.{name}" for name in _TABLES))


def _copy_statement(raw: Any, source: tuple[str, tuple], start: datetime, end: datetime) -> str:
    import psycopg

    sql, params = source
    # COPY takes no bind parameters: psycopg's client-side cursor quotes them into the text.
    quote = psycopg.ClientCursor(raw).mogrify
    select = quote(_COPY_SELECT, {"start": start, "end": end}).replace("{events}", quote(sql, params))
    return f"COPY ({select}) TO STDOUT (FORMAT csv)"


def _copy_blocks(raw: Any, statement: str, block_rows: int) -> Iterator[tuple[bytes, int]]:
    """Yield the COPY's output as blocks of up to block_rows rows with `\\r\\n` line ends, each with its row count."""
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        parts: list = []
        for message in copy:
            parts.append(message)
            if len(parts) == block_rows:
                yield _crlf(parts), len(parts)
                parts = []
        if parts:
            yield _crlf(parts), len(parts)


def _crlf(parts: list) -> bytes:
    """Join one block of COPY messages (one row each, ending in `\\n`) with `\\r\\n` line ends."""
    block = b"".join(parts)
    if b'"' not in block:
        # No quoted cell, so no line break inside a cell: every `\\n` ends a row.
        return block.replace(b"\n", b"\r\n")
    return b"".join(bytes(part[:-1]) + b"\r\n" for part in parts)

"""Write the research data package: the CSV files, codebook, datapackage.json and manifest.json.

Everything written is a function of the cut (its time, period, frozen registry and high-water
marks) and the study's pseudonymisation key, in a fixed order and format, so a cut generated again
later is byte for byte the same. Rows are read a batch at a time (learning.selectors.events), so
memory stays flat however many events there are.
"""

from __future__ import annotations

import csv
import hashlib
import json
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from core import csv as safe_csv
from learning.measures import utc_midnight
from learning.selectors.events import RecordFilter, count_records, iter_records

from .. import conf
from ..pseudonyms import Pseudonymiser
from ..selectors import FrozenPractice, frozen_practices
from . import postgres
from .codebook import (
    ACCESS_LOG,
    ALL_TABLES,
    CODEBOOK,
    COMPLETIONS,
    KNOWLEDGE_CHECK_ATTEMPTS,
    PRACTICES,
    PROTOCOL_DEVIATIONS,
    TableSpec,
    codebook_markdown,
    codebook_rows,
)
from .xapi import statement_lines

PACKAGE_NAME = "practice-learning-access-log"
FORMAT_VERSION = 1
SOFTWARE_NAME = "practice-learning"
CODEBOOK_MD = "codebook.md"
XAPI_STATEMENTS = "access_log.xapi.jsonl"
FORMATS = ("csv", "xapi")
DATAPACKAGE = "datapackage.json"
MANIFEST = "manifest.json"
# Files in the order they are written, listed in the manifest and packed in the zip.
FILE_ORDER = (*(table.path for table in ALL_TABLES), CODEBOOK_MD, DATAPACKAGE, MANIFEST)

ProgressCallback = Callable[[int, int], None]


def software_version() -> str:
    """Return the platform's version from pyproject.toml (recorded in every manifest)."""
    import tomllib

    path = Path(__file__).resolve().parents[2] / "pyproject.toml"
    try:
        with path.open("rb") as handle:
            return str(tomllib.load(handle)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


@dataclass(frozen=True)
class ExportParameters:
    """What one export covers: the cut's name (if any), its moment, and the period [start, end)."""

    cut_at: datetime
    start: date | None = None
    end: date | None = None
    cut_name: str | None = None
    # "csv": the data package; "xapi": the package plus the access log as xAPI statements.
    format: str = "csv"

    def as_dict(self) -> dict[str, Any]:
        return {
            "cut": self.cut_name,
            "cut_at": iso_second(self.cut_at),
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "format": self.format,
        }

    @property
    def file_names(self) -> tuple[str, ...]:
        """Return the package's files in order (the manifest last)."""
        if self.format == "xapi":
            return (*FILE_ORDER[:-1], XAPI_STATEMENTS, MANIFEST)
        return FILE_ORDER


@dataclass(frozen=True)
class WrittenFile:
    """One file of the package: its name, data rows (None for non-tables), size and SHA-256."""

    path: str
    rows: int | None
    bytes: int
    sha256: str


@dataclass(frozen=True)
class PackageResult:
    """What an export wrote."""

    files: tuple[WrittenFile, ...]
    rows: int

    @property
    def manifest_sha256(self) -> str:
        return next(f.sha256 for f in self.files if f.path == MANIFEST)


def iso_second(moment: datetime) -> str:
    """Return an aware datetime in UTC as YYYY-MM-DDTHH:MM:SSZ (fractions of a second cut off)."""
    if moment.utcoffset():
        moment = moment.astimezone(UTC)
    # Formatted by hand: strftime costs several times as much, and an export formats millions.
    return (
        f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}Z"
    )


def _bool(value: bool | None) -> str:
    return "" if value is None else ("true" if value else "false")


# A knowledge check's correctness as the database returns it from the event's detail: JSON text
# on PostgreSQL, 1/0 on SQLite, None when the event is not an answer.
# (True and False are 1 and 0 as dictionary keys, so booleans are covered too.)
_CORRECT_CELL = {None: "", "true": "true", "false": "false", 1: "true", 0: "false"}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class _Labels:
    """The frozen module and section labels and practice attributes of a cut."""

    def __init__(self, frozen: dict[str, Any], practices: list[FrozenPractice], *, for_csv: bool = True) -> None:
        # Each label as the cells it fills, built once and, for CSV, already neutralised
        # (core.csv.safe_cell): an export meets the same few labels millions of times. JSON (xAPI)
        # takes the values as they are.
        safe = safe_csv.safe_cell if for_csv else _as_is
        self.modules = {int(k): (safe(v["slug"]), safe(v["kind"])) for k, v in frozen["modules"].items()}
        self.sections = {
            int(k): (safe(v["slug"]), "" if v["position"] is None else v["position"])
            for k, v in frozen["sections"].items()
        }
        self.sections[None] = ("", "")
        self.practices = {p.id: (safe(p.trial_id), safe(p.arm), safe(p.nation)) for p in practices}

    def module(self, module_id: int) -> tuple[str, str]:
        return self.modules[module_id]

    def section(self, section_id: int | None) -> tuple[str, int | str]:
        return self.sections[section_id]

    def practice(self, practice_id: int) -> tuple[str, str, str]:
        return self.practices[practice_id]


def _as_is(value: Any) -> Any:
    return value


class _PlainText(dict):
    """Text cells as they are (for JSON, where no spreadsheet reads them), None as empty."""

    def __missing__(self, value: Any) -> str:
        cell = self[value] = "" if value is None else str(value)
        return cell


class _SafeText(dict):
    """core.csv.safe_cell, remembered per value: for text columns with few distinct values (roles, block ids)."""

    def __missing__(self, value: Any) -> str:
        cell = self[value] = "" if value is None else safe_csv.safe_cell(str(value))
        return cell


def _access_row(record: tuple, labels: _Labels, pseudonym: Pseudonymiser, safe: dict) -> list:
    """Return one access-log row whose every cell is already neutralised (or a number, or safe by construction)."""
    (_id, user_id, practice_id, role, event_type, module_id, section_id, module_version, visit_number,
     occurred_at, block_id, is_correct, document_id) = record
    return [
        pseudonym(user_id), *labels.practices[practice_id], safe[role], safe[event_type], *labels.modules[module_id],
        *labels.sections[section_id], module_version, visit_number, iso_second(occurred_at),
        safe[block_id], _CORRECT_CELL[is_correct], int(document_id) if document_id not in (None, "") else "",
    ]


def _access_rows(rows: Iterable[tuple], labels: _Labels, pseudonym: Pseudonymiser) -> Iterator[list]:
    safe = _SafeText()
    for record in rows:
        yield _access_row(record, labels, pseudonym, safe)


def _completion_rows(rows: Iterable[tuple], labels: _Labels, pseudonym: Pseudonymiser) -> Iterator[list]:
    for _id, user_id, practice_id, role, module_id, module_version, cycle, completed_at, engagement in rows:
        yield [
            pseudonym(user_id), *labels.practice(practice_id), role, *labels.module(module_id), module_version,
            cycle, iso_second(completed_at), f"{engagement:.2f}",
        ]


def _attempt_rows(rows: Iterable[tuple], labels: _Labels, pseudonym: Pseudonymiser) -> Iterator[list]:
    for (_id, user_id, practice_id, module_id, section_id, module_version, block_id, selected, is_correct,
         attempted_at) in rows:
        yield [
            pseudonym(user_id), *labels.practice(practice_id), *labels.module(module_id), *labels.section(section_id),
            module_version, block_id, ";".join(str(option) for option in selected or []), _bool(is_correct),
            iso_second(attempted_at),
        ]


def _deviation_rows(rows: Iterable[tuple], labels: _Labels, pseudonym: Pseudonymiser) -> Iterator[list]:
    for _id, user_id, practice_id, role, module_id, section_id, occurred_at in rows:
        yield [
            pseudonym(user_id), *labels.practice(practice_id), role, *labels.module(module_id),
            *labels.section(section_id), iso_second(occurred_at),
        ]


def _practice_rows(practices: list[FrozenPractice]) -> Iterator[list]:
    for p in practices:
        yield [
            p.trial_id, p.ods_code, p.arm, p.nation, p.randomised_on.isoformat() if p.randomised_on else "",
            p.withdrawn_on.isoformat() if p.withdrawn_on else "", p.withdrawal_data_choice,
            _bool(p.activity_included),
        ]


ACCESS_SOURCE = "events"
# Data table -> (learning table it reads, row builder).
_SOURCES: dict[str, tuple[str, Callable]] = {
    ACCESS_LOG.name: ("events", _access_rows),
    COMPLETIONS.name: ("completions", _completion_rows),
    KNOWLEDGE_CHECK_ATTEMPTS.name: ("knowledge_check_attempts", _attempt_rows),
    PROTOCOL_DEVIATIONS.name: ("protocol_deviations", _deviation_rows),
}


def record_filter(parameters: ExportParameters, frozen: dict[str, Any], practices: list[FrozenPractice]) -> RecordFilter:
    """Return which learning rows the export reads: included practices, the period and the cut."""
    return RecordFilter(
        practice_ids=sorted(p.id for p in practices if p.activity_included),
        until=parameters.cut_at,
        start=utc_midnight(parameters.start) if parameters.start else None,
        end=utc_midnight(parameters.end) if parameters.end else None,
        max_ids=frozen["max_ids"],
        collection_ends={p.id: p.collection_ends for p in practices if p.collection_ends is not None},
    )


def count_rows(parameters: ExportParameters, frozen: dict[str, Any]) -> int:
    """Return how many data rows the export will write (for its progress bar)."""
    practices = frozen_practices(frozen)
    where = record_filter(parameters, frozen, practices)
    return len(practices) + sum(count_records(source, where) for source, _ in _SOURCES.values())


class _TableWriter:
    """Write one CSV table (UTF-8, RFC 4180 line ends, formula cells neutralised), reporting progress."""

    def __init__(self, directory: Path, table: TableSpec, progress: Callable[[int], None], *,
                 neutralised: bool = False) -> None:
        self.path = directory / table.path
        self.table = table
        self.rows = 0
        self._progress = progress
        self._neutralised = neutralised

    def write(self, rows: Iterable[list]) -> int:
        with self.path.open("w", encoding="utf-8", newline="") as handle:
            # Rows whose cells were neutralised as they were built (the access log: millions of rows,
            # where checking every cell again would be half the export's time) go to the plain writer;
            # every other table goes through core.csv's writer, which checks each cell.
            writer = (csv.writer(handle, lineterminator="\r\n") if self._neutralised
                      else safe_csv.writer(handle, lineterminator="\r\n"))
            writer.writerow(self.table.header)
            for row in rows:
                if len(row) != len(self.table.columns):
                    raise ValueError(f"{self.table.path}: a row has {len(row)} cells for {len(self.table.columns)} columns.")
                writer.writerow(row)
                self.rows += 1
                if self.rows % conf.EXPORT_BATCH_SIZE == 0:
                    self._progress(conf.EXPORT_BATCH_SIZE)
        self._progress(self.rows % conf.EXPORT_BATCH_SIZE)
        return self.rows


def datapackage_descriptor(parameters: ExportParameters) -> dict[str, Any]:
    """Return datapackage.json: a Frictionless Tabular Data Package with a Table Schema per CSV file."""
    return {
        "profile": "tabular-data-package",
        "name": PACKAGE_NAME,
        "title": "Practice asthma learning: pseudonymised access log"
        + (f" (cut {parameters.cut_name})" if parameters.cut_name else ""),
        "description": (
            "Pseudonymised records of what learners did in the education modules, up to the cut time "
            f"{iso_second(parameters.cut_at)}. See codebook.md for every column; manifest.json for row counts and checksums."
        ),
        "created": iso_second(parameters.cut_at),
        "resources": [
            {
                "name": table.name,
                "path": table.path,
                "profile": "tabular-data-resource",
                "title": table.title,
                "description": f"One row: {table.row}",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "schema": {"fields": [column.schema_field() for column in table.columns], "missingValues": [""]},
            }
            for table in ALL_TABLES
        ],
    }


def _dump_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_package(
    *,
    directory: Path,
    parameters: ExportParameters,
    frozen: dict[str, Any],
    on_progress: ProgressCallback | None = None,
    total: int | None = None,
    access_log_in_database: bool | None = None,
) -> PackageResult:
    """Write every file of the package into an empty directory and return their row counts and checksums.

    The access log is written by the database itself where it can (PostgreSQL, research.exports.postgres),
    elsewhere row by row here; `access_log_in_database` chooses (None: wherever it can), and both give the
    same bytes.
    """
    practices = frozen_practices(frozen)
    where = record_filter(parameters, frozen, practices)
    labels = _Labels(frozen, practices)
    pseudonym = Pseudonymiser()
    total = total if total is not None else count_rows(parameters, frozen)
    written = 0

    def advance(rows: int) -> None:
        nonlocal written
        written += rows
        if on_progress is not None and rows:
            on_progress(written, total)

    counts: dict[str, int] = {}
    copied: dict[str, postgres.CopiedFile] = {}
    if access_log_in_database is None:
        access_log_in_database = postgres.available()
    for table in (ACCESS_LOG, COMPLETIONS, KNOWLEDGE_CHECK_ATTEMPTS, PROTOCOL_DEVIATIONS):
        source, build = _SOURCES[table.name]
        if table is ACCESS_LOG and access_log_in_database:
            copied[table.path] = postgres.write_access_log(
                path=directory / table.path, header=table.header, where=where, modules=labels.modules,
                sections=labels.sections, practices=labels.practices, pseudonym=pseudonym, progress=advance,
                block_rows=conf.EXPORT_BATCH_SIZE,
            )
            counts[table.path] = copied[table.path].rows
            continue
        rows = build(iter_records(source, where, batch_size=conf.EXPORT_BATCH_SIZE), labels, pseudonym)
        counts[table.path] = _TableWriter(directory, table, advance, neutralised=table is ACCESS_LOG).write(rows)
    counts[PRACTICES.path] = _TableWriter(directory, PRACTICES, advance).write(_practice_rows(practices))
    counts[CODEBOOK.path] = _TableWriter(directory, CODEBOOK, lambda rows: None).write(codebook_rows())
    (directory / CODEBOOK_MD).write_text(codebook_markdown(intro=_codebook_intro(parameters)), encoding="utf-8")
    _dump_json(directory / DATAPACKAGE, datapackage_descriptor(parameters))
    if parameters.format == "xapi":
        counts[XAPI_STATEMENTS] = _write_statements(directory, where, _Labels(frozen, practices, for_csv=False), pseudonym)

    names = parameters.file_names
    files = [
        WrittenFile(path=name, rows=copied[name].rows, bytes=copied[name].bytes, sha256=copied[name].sha256)
        if name in copied else _written(directory, name, counts.get(name))
        for name in names if name != MANIFEST
    ]
    manifest = {
        "package": PACKAGE_NAME,
        "format_version": FORMAT_VERSION,
        "software": {"name": SOFTWARE_NAME, "version": software_version()},
        "parameters": parameters.as_dict(),
        "high_water_ids": dict(sorted(frozen["max_ids"].items())),
        "pseudonyms": "P- and 16 base32 characters of HMAC-SHA256(RESEARCH_PSEUDONYM_KEY, user id)",
        "files": [{"path": f.path, "rows": f.rows, "bytes": f.bytes, "sha256": f.sha256} for f in files],
    }
    _dump_json(directory / MANIFEST, manifest)
    files.append(_written(directory, MANIFEST, None))
    data_rows = sum(counts[table.path] for table in ALL_TABLES if table is not CODEBOOK)
    return PackageResult(files=tuple(files), rows=data_rows)


def _write_statements(directory: Path, where: RecordFilter, labels: _Labels, pseudonym: Pseudonymiser) -> int:
    """Write the access log's events again as xAPI statements, one JSON line each; return how many."""
    records = iter_records(ACCESS_SOURCE, where, batch_size=conf.EXPORT_BATCH_SIZE)
    plain = _PlainText()
    rows = ((record[0], _access_row(record, labels, pseudonym, plain)) for record in records)
    written = 0
    with (directory / XAPI_STATEMENTS).open("w", encoding="utf-8", newline="\n") as handle:
        for line in statement_lines(rows, ACCESS_LOG.header):
            handle.write(line)
            written += 1
    return written


def _written(directory: Path, name: str, rows: int | None) -> WrittenFile:
    path = directory / name
    return WrittenFile(path=name, rows=rows, bytes=path.stat().st_size, sha256=_sha256(path))


def _codebook_intro(parameters: ExportParameters) -> str:
    period = (
        f"from {parameters.start.isoformat() if parameters.start else 'the beginning'} "
        f"to {'before ' + parameters.end.isoformat() if parameters.end else 'the cut'}"
    )
    return (
        f"Every column of every file in this package. Cut time {iso_second(parameters.cut_at)}; period {period} "
        "(dates are 00:00 UTC; start inclusive, end exclusive). Times are UTC, ISO 8601, whole seconds, with a Z. "
        "Empty cells are missing values. Files are UTF-8 CSV with a header row; a text cell that a spreadsheet "
        "would read as a formula starts with a single quote."
    )


def zip_package(*, directory: Path, target: Any, cut_at: datetime, names: tuple[str, ...] = FILE_ORDER) -> None:
    """Pack the package's files into a zip in a fixed order with fixed times, so the zip is reproducible too."""
    stamp = cut_at.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name in names:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            with (directory / name).open("rb") as source, bundle.open(info, "w") as sink:
                for chunk in iter(lambda s=source: s.read(1 << 20), b""):
                    sink.write(chunk)

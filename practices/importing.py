"""Read the trial team's practice and staff CSV files: validate every row, then write all or nothing.

Every problem is reported as "line N, column X: reason", counting the header as line 1, so the
person fixing the spreadsheet can find it. Nothing is written unless every row is good, and
re-running the same file changes nothing (rows already matching are counted as unchanged).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.roles import PracticeRole

from . import services
from .models import Arm, Membership, Nation, Practice
from .validators import ODS_PRACTICE_CODE, normalise_ods_code, validate_ods_code

PRACTICE_COLUMNS = ("ods_code", "name", "nation", "trial_id", "arm", "randomised_on")
STAFF_COLUMNS = ("email", "first_name", "last_name", "role", "ods_code", "is_lead")
ROW = "(row)"  # the "column" named when a problem concerns the whole row


@dataclass(frozen=True)
class RowError:
    """One problem in the file, where to find it and why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


class ImportFailed(Exception):
    """The file has problems; nothing was written."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = sorted(errors, key=lambda error: error.line)
        super().__init__(f"{len(self.errors)} problem(s) found")


@dataclass
class ImportResult:
    """How many rows created, updated or left unchanged (or would, on a dry run)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    dry_run: bool = False

    def summary(self) -> str:
        """Return e.g. "3 created, 1 updated, 8 unchanged"."""
        text = f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"
        return f"{text} (dry run: nothing was written)" if self.dry_run else text

    def count(self, action: str) -> None:
        """Add one row with the given action ("created", "updated" or "unchanged")."""
        setattr(self, action, getattr(self, action) + 1)


@dataclass
class Row:
    """A data row of the file with the line it starts on."""

    line: int
    values: dict[str, str]


@dataclass
class RowCollector:
    """Collect the problems found while checking one file."""

    errors: list[RowError] = field(default_factory=list)

    def add(self, line: int, column: str, reason: str) -> None:
        """Record a problem."""
        self.errors.append(RowError(line, column, reason))


def read_rows(source: str | Path | io.IOBase, columns: tuple[str, ...]) -> tuple[list[Row], list[RowError]]:
    """Return the file's well-formed data rows (as dicts keyed by column) and the malformed lines.

    Accepts UTF-8 with or without a byte order mark (what spreadsheets save as "CSV UTF-8");
    the header must name exactly the expected columns, in any order. A file that cannot be read
    at all, or whose header is wrong, raises ImportFailed straight away.
    """
    raw = source.read() if hasattr(source, "read") else Path(source).read_bytes()
    if isinstance(raw, str):
        text = raw.removeprefix("\ufeff")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            line = raw[: error.start].count(b"\n") + 1
            raise ImportFailed(
                [RowError(line, ROW, "the file is not UTF-8 text; save it from your spreadsheet as \"CSV UTF-8\"")]
            ) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    problems = RowCollector()
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed([RowError(1, ROW, f"the file is empty; expected a header row: {','.join(columns)}")]) from None
    except csv.Error as error:
        raise ImportFailed([RowError(1, ROW, f"cannot read the header: {error}")]) from None
    names = [name.strip().lower() for name in header]
    for name in columns:
        if name not in names:
            problems.add(1, name, "missing column")
    seen: set[str] = set()
    for name in names:
        if name in seen:
            problems.add(1, name or ROW, "column appears twice")
        elif name not in columns:
            problems.add(1, name or "(blank)", f"unexpected column; expected exactly: {','.join(columns)}")
        seen.add(name)
    if problems.errors:
        raise ImportFailed(problems.errors)

    rows: list[Row] = []
    next_line = 2
    while True:
        start = next_line
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            raise ImportFailed([*problems.errors, RowError(start, ROW, f"cannot read this line: {error}")]) from None
        next_line = reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue  # blank lines, often left at the end by spreadsheets
        if len(cells) != len(names):
            problems.add(start, ROW, f"expected {len(names)} values, found {len(cells)}")
            continue
        bad_cells = [(name, _control_character(cell)) for name, cell in zip(names, cells, strict=True)]
        bad_cells = [(name, found) for name, found in bad_cells if found]
        for name, found in bad_cells:
            problems.add(start, name, f"contains the control character {found}; remove it")
        if bad_cells:
            continue
        rows.append(Row(start, {name: cell.strip() for name, cell in zip(names, cells, strict=True)}))
    return rows, problems.errors


def _control_character(cell: str) -> str | None:
    """Return the first control character in the cell as U+XXXX with its name, or None.

    Every character of Unicode category Cc is refused, tab and line breaks inside a quoted value
    included: none belongs in a name, code or email address, NUL and carriage returns break other
    tools that read the registry, and a tab or CR at the start can turn a later export into a
    formula. Unicode line and paragraph separators are refused for the same reason.
    """
    for char in cell:
        if unicodedata.category(char) == "Cc" or char in "\u2028\u2029":
            name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "")
            return f"U+{ord(char):04X} ({name})" if name else f"U+{ord(char):04X}"
    return None


_CONTROL_NAMES = {"\x00": "NUL", "\t": "TAB", "\n": "LINE FEED", "\r": "CARRIAGE RETURN", "\x7f": "DELETE"}


def _choice_parser(choices: type, extra: dict[str, str] | None = None) -> Callable[[str], str | None]:
    """Return a function mapping a value or label (any case, spaces or underscores) to a choice value."""

    def key(text: str) -> str:
        return re.sub(r"[^a-z0-9]", "", text.lower())

    lookup = {key(value): value for value in choices.values}
    lookup.update({key(str(label)): value for value, label in choices.choices})
    lookup.update({key(k): v for k, v in (extra or {}).items()})
    return lambda text: lookup.get(key(text))


parse_nation = _choice_parser(Nation)
parse_arm = _choice_parser(Arm, {"usual care": Arm.CONTROL, "intervention": Arm.IMPLEMENTATION})
parse_role = _choice_parser(
    PracticeRole,
    {
        "healthcare assistant": PracticeRole.HCA,
        "health care assistant": PracticeRole.HCA,
        "pharmacist": PracticeRole.CLINICAL_PHARMACIST,
        "reception": PracticeRole.RECEPTION_ADMIN,
        "receptionist": PracticeRole.RECEPTION_ADMIN,
        "admin": PracticeRole.RECEPTION_ADMIN,
        "nurse": PracticeRole.PRACTICE_NURSE,
    },
)
_TRUE = {"yes", "y", "true", "1"}
_FALSE = {"no", "n", "false", "0", ""}


def parse_date(text: str) -> date | None:
    """Parse YYYY-MM-DD or DD/MM/YYYY (as UK spreadsheets write dates); None if neither."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 (a calendar date, no time zone)
        except ValueError:
            continue
    return None


def _first_message(error: ValidationError) -> str:
    return " ".join(error.messages)


# Practices ---------------------------------------------------------------------------------------


@dataclass
class PracticePlan:
    """What one practice row will do."""

    line: int
    practice: Practice
    action: str  # "created", "updated" or "unchanged"


def plan_practices(rows: list[Row], earlier: list[RowError] | None = None) -> list[PracticePlan]:
    """Check every practice row against the file and the database; raise ImportFailed on any problem."""
    problems = RowCollector(list(earlier or []))
    plans: list[PracticePlan] = []
    ods_lines: dict[str, int] = {}
    trial_lines: dict[str, int] = {}
    for row in rows:
        v, line = row.values, row.line
        before = len(problems.errors)
        ods = normalise_ods_code(v["ods_code"])
        if not ods:
            problems.add(line, "ods_code", "required")
        else:
            try:
                validate_ods_code(ods)
            except ValidationError as error:
                problems.add(line, "ods_code", _first_message(error))
            if ods in ods_lines:
                problems.add(line, "ods_code", f"{ods} is already on line {ods_lines[ods]} (duplicate)")
            ods_lines.setdefault(ods, line)
        name = v["name"]
        if not name:
            problems.add(line, "name", "required")
        elif len(name) > 200:
            problems.add(line, "name", f"too long ({len(name)} characters; at most 200)")
        nation = parse_nation(v["nation"])
        if not v["nation"]:
            problems.add(line, "nation", "required")
        elif nation is None:
            problems.add(line, "nation", f"{v['nation']!r} is not one of: {', '.join(Nation.values)}")
        arm = parse_arm(v["arm"])
        if not v["arm"]:
            problems.add(line, "arm", "required")
        elif arm is None:
            problems.add(line, "arm", f"{v['arm']!r} is not one of: {', '.join(Arm.values)}")
        trial_id = v["trial_id"] or None
        if trial_id and len(trial_id) > 32:
            problems.add(line, "trial_id", "too long (at most 32 characters)")
        if trial_id:
            if trial_id in trial_lines:
                problems.add(line, "trial_id", f"{trial_id} is already on line {trial_lines[trial_id]} (duplicate)")
            trial_lines.setdefault(trial_id, line)
        randomised_on = None
        if v["randomised_on"]:
            randomised_on = parse_date(v["randomised_on"])
            if randomised_on is None:
                problems.add(line, "randomised_on", f"{v['randomised_on']!r} is not a date like 2025-01-31")
        if arm in (Arm.IMPLEMENTATION, Arm.CONTROL):
            if not trial_id:
                problems.add(line, "trial_id", f"required for a practice in the {arm} arm")
            if not v["randomised_on"]:
                problems.add(line, "randomised_on", f"required for a practice in the {arm} arm")
        if len(problems.errors) > before:
            continue

        existing = Practice.objects.filter(ods_code=ods).first()
        if existing is not None and existing.arm != Arm.NOT_IN_TRIAL:
            if arm != existing.arm:
                problems.add(
                    line, "arm",
                    f"{ods} was randomised to {existing.arm}; an import cannot change a practice's arm "
                    "(correct it in the admin if it was entered wrongly)",
                )
            if randomised_on != existing.randomised_on:
                problems.add(
                    line, "randomised_on",
                    f"{ods} was randomised on {existing.randomised_on}; an import cannot change it "
                    "(correct it in the admin if it was entered wrongly)",
                )
        if trial_id:
            clash = Practice.objects.filter(trial_id=trial_id).exclude(ods_code=ods).first()
            if clash is not None:
                problems.add(line, "trial_id", f"{trial_id} already belongs to {clash.ods_code} ({clash.name})")
        if len(problems.errors) > before:
            continue

        practice = existing or Practice(ods_code=ods)
        new_values = {"name": name, "nation": nation, "trial_id": trial_id, "arm": arm, "randomised_on": randomised_on}
        changed = existing is None or any(getattr(existing, k) != val for k, val in new_values.items())
        for key, val in new_values.items():
            setattr(practice, key, val)
        try:
            practice.full_clean(exclude=["join_code"])
        except ValidationError as error:
            for column, messages in error.message_dict.items():
                for message in messages:
                    problems.add(line, column if column in PRACTICE_COLUMNS else ROW, message)
            continue
        action = "created" if existing is None else ("updated" if changed else "unchanged")
        plans.append(PracticePlan(line, practice, action))
    if problems.errors:
        raise ImportFailed(problems.errors)
    return plans


def import_practices(source: str | Path | io.IOBase, *, dry_run: bool = False) -> ImportResult:
    """Check the practices file and, unless dry_run, create or update every practice in one transaction."""
    rows, malformed = read_rows(source, PRACTICE_COLUMNS)
    result = ImportResult(dry_run=dry_run)
    with transaction.atomic():
        plans = plan_practices(rows, malformed)
        for plan in plans:
            result.count(plan.action)
            if not dry_run and plan.action != "unchanged":
                plan.practice.save()
        if dry_run:
            transaction.set_rollback(True)
    return result


# Staff -------------------------------------------------------------------------------------------


@dataclass
class StaffPlan:
    """What one staff row will do."""

    line: int
    email: str
    first_name: str
    last_name: str
    role: str
    is_lead: bool
    practice: Practice
    user: object | None
    action: str


def plan_staff(rows: list[Row], earlier: list[RowError] | None = None) -> list[StaffPlan]:
    """Check every staff row against the file and the database; raise ImportFailed on any problem."""
    User = get_user_model()
    problems = RowCollector(list(earlier or []))
    plans: list[StaffPlan] = []
    email_lines: dict[str, int] = {}
    practices: dict[str, Practice | None] = {}
    today = timezone.localdate()
    for row in rows:
        v, line = row.values, row.line
        before = len(problems.errors)
        email = v["email"].lower()
        if not email:
            problems.add(line, "email", "required")
        else:
            try:
                validate_email(email)
            except ValidationError:
                problems.add(line, "email", f"{v['email']!r} is not an email address")
            if email in email_lines:
                problems.add(line, "email", f"{email} is already on line {email_lines[email]} (duplicate)")
            email_lines.setdefault(email, line)
        for column in ("first_name", "last_name"):
            if not v[column]:
                problems.add(line, column, "required")
            elif len(v[column]) > 150:
                problems.add(line, column, "too long (at most 150 characters)")
        role = parse_role(v["role"])
        if not v["role"]:
            problems.add(line, "role", "required")
        elif role is None:
            problems.add(line, "role", f"{v['role']!r} is not one of: {', '.join(PracticeRole.values)}")
        lead_text = v["is_lead"].lower()
        if lead_text not in _TRUE | _FALSE:
            problems.add(line, "is_lead", f"{v['is_lead']!r} is not yes or no")
        ods = normalise_ods_code(v["ods_code"])
        practice = None
        if not ods:
            problems.add(line, "ods_code", "required")
        elif not ODS_PRACTICE_CODE.match(ods):
            problems.add(line, "ods_code", f"{ods} is not a GP practice ODS code (one letter and five digits)")
        else:
            if ods not in practices:
                practices[ods] = Practice.objects.filter(ods_code=ods).first()
            practice = practices[ods]
            if practice is None:
                problems.add(line, "ods_code", f"no practice has the ODS code {ods}; import the practice first")
            elif practice.is_withdrawn_on(today):
                problems.add(line, "ods_code", f"{practice.name} withdrew on {practice.withdrawn_on}; staff cannot be added")
        if len(problems.errors) > before:
            continue

        is_lead = lead_text in _TRUE
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            action = "created"
        else:
            current = Membership.objects.filter(user=user, ended_on__isnull=True).first()
            wanted = (practice.pk, role, is_lead)
            same = current is not None and (current.practice_id, current.role, current.is_lead) == wanted
            action = "unchanged" if same else "updated"
        plans.append(StaffPlan(line, email, v["first_name"], v["last_name"], role, is_lead, practice, user, action))
    if problems.errors:
        raise ImportFailed(problems.errors)
    return plans


def import_staff(source: str | Path | io.IOBase, *, dry_run: bool = False) -> ImportResult:
    """Check the staff file and, unless dry_run, create accounts and memberships in one transaction.

    New people get an account without a password and, once the transaction commits, an email
    (through Celery) with a link to set one. Existing people keep their name and password; only
    their membership is brought in line with the file.
    """
    from accounts.services import create_invited_user

    rows, malformed = read_rows(source, STAFF_COLUMNS)
    result = ImportResult(dry_run=dry_run)
    with transaction.atomic():
        plans = plan_staff(rows, malformed)
        for plan in plans:
            result.count(plan.action)
            if dry_run or plan.action == "unchanged":
                continue
            user = plan.user or create_invited_user(
                email=plan.email, first_name=plan.first_name, last_name=plan.last_name
            )
            membership = services.start_membership(
                user=user, practice=plan.practice, role=plan.role, is_lead=plan.is_lead
            )
            if plan.action == "created":
                services.record_staff_welcome(user=user, membership=membership)
        if dry_run:
            transaction.set_rollback(True)
    return result

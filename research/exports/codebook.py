"""The codebook: every file of the research data package and every column in it, defined once.

codebook.csv, codebook.md and the Table Schemas in datapackage.json are all written from the
specifications below, so the three can never disagree with each other or with the files.
Allowed values come from the models' own choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from accounts.roles import PracticeRole
from learning.measures import VISIT_GAP_MINUTES
from learning.models import EventType
from modules.models import ModuleKind
from practices.models import Arm, Nation, WithdrawalDataChoice

from ..pseudonyms import PATTERN as PARTICIPANT_PATTERN

TRIAL_ARMS = (Arm.IMPLEMENTATION.value, Arm.CONTROL.value)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


@dataclass(frozen=True)
class Column:
    """One column: its name, Table Schema type, unit, allowed values and definition."""

    name: str
    type: str  # Frictionless Table Schema type: string, integer, number, boolean, date, datetime
    definition: str
    unit: str = ""
    allowed: tuple[str, ...] = ()
    required: bool = False
    pattern: str = ""

    def schema_field(self) -> dict:
        """Return the column as a Table Schema field descriptor."""
        descriptor: dict = {"name": self.name, "type": self.type, "description": self.definition}
        if self.type == "boolean":
            descriptor["trueValues"] = ["true"]
            descriptor["falseValues"] = ["false"]
        # datetimes keep the default format, which the Table Schema spec defines as ISO 8601 in UTC
        # with a Z (what TIME_FORMAT writes), so readers return them as UTC times.
        constraints: dict = {}
        if self.required:
            constraints["required"] = True
        if self.allowed:
            constraints["enum"] = list(self.allowed)
        if self.pattern:
            constraints["pattern"] = self.pattern
        if constraints:
            descriptor["constraints"] = constraints
        return descriptor

    @property
    def type_label(self) -> str:
        """Return the type as the codebook prints it (datetimes with their format)."""
        if self.type == "datetime":
            return "datetime (UTC, ISO 8601, YYYY-MM-DDTHH:MM:SSZ)"
        if self.type == "date":
            return "date (ISO 8601, YYYY-MM-DD)"
        if self.type == "boolean":
            return "boolean (true/false)"
        return self.type


@dataclass(frozen=True)
class TableSpec:
    """One CSV file of the package: its resource name, title, what a row is, and its columns."""

    name: str
    title: str
    row: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    @property
    def header(self) -> list[str]:
        return [column.name for column in self.columns]


def _values(choices) -> tuple[str, ...]:
    return tuple(choices.values)


PARTICIPANT = Column(
    "participant_id", "string",
    "Pseudonymous participant ID: P- and 16 base32 characters, a keyed HMAC-SHA256 of the learner's account "
    "(RESEARCH_PSEUDONYM_KEY). The same learner has the same ID in every file and every export made with the "
    "study's key; it cannot be turned back into a person without the key.",
    required=True, pattern=PARTICIPANT_PATTERN.pattern.strip("^$"),
)
PRACTICE_TRIAL_ID = Column(
    "practice_trial_id", "string",
    "The practice's trial ID (practices.csv trial_id), for the practice the learner belonged to at the time.",
    required=True,
)
ARM = Column(
    "arm", "string", "The practice's trial arm, as recorded in the registry at the cut time.",
    allowed=TRIAL_ARMS, required=True,
)
NATION = Column(
    "nation", "string", "The UK nation of the practice, as recorded in the registry at the cut time.",
    allowed=_values(Nation), required=True,
)
ROLE_AT_TIME = Column(
    "role", "string", "The learner's role in the practice at the moment it happened (recorded then, never updated).",
    allowed=_values(PracticeRole), required=True,
)
MODULE_SLUG = Column(
    "module_slug", "string", "The module's short name (its web address slug) at the cut time.", required=True,
)
MODULE_KIND = Column(
    "module_kind", "string",
    "The module's kind at the cut time: team (whole practice team), in_depth (clinicians who run asthma "
    "reviews) or other.",
    allowed=_values(ModuleKind), required=True,
)
SECTION_SLUG = Column(
    "section_slug", "string",
    "The section's short name at the cut time; empty when it happened on the module page itself.",
)
SECTION_POSITION = Column(
    "section_position", "integer",
    "The section's place in the module (1 = first) among the module's published sections at the cut time; "
    "empty on the module page, or for a section no longer published at the cut time.",
    unit="position",
)
MODULE_VERSION = Column(
    "module_version", "integer",
    "The module's version number the learner was working on (recorded at the time; a version is a "
    "published state of the module's content).",
    unit="version number", required=True,
)
BLOCK_ID = Column(
    "knowledge_check_block_id", "string",
    "The knowledge-check question's stable identifier (its block id in the section); empty for other events.",
)

ACCESS_LOG = TableSpec(
    name="access_log",
    title="Access log",
    row="One event: a page view, a knowledge-check answer, a resource download or a completion.",
    columns=(
        PARTICIPANT, PRACTICE_TRIAL_ID, ARM, NATION, ROLE_AT_TIME,
        Column(
            "event_type", "string",
            "What happened: "
            + "; ".join(f"{value} ({label.lower()})" for value, label in EventType.choices)
            + ". module_view and section_view are page views (they make up accesses); the others are not.",
            allowed=_values(EventType), required=True,
        ),
        MODULE_SLUG, MODULE_KIND, SECTION_SLUG, SECTION_POSITION, MODULE_VERSION,
        Column(
            "visit_number", "integer",
            f"Which of this learner's visits to the module the event belongs to (1 = first). Page views less "
            f"than {VISIT_GAP_MINUTES} minutes apart are one visit (an access); recorded at the time.",
            unit="visit", required=True,
        ),
        Column(
            "occurred_at", "datetime", "When it happened, in UTC, to the whole second (fractions cut off).",
            required=True,
        ),
        BLOCK_ID,
        Column(
            "knowledge_check_correct", "boolean",
            "For a knowledge_check event: whether the answer was right; empty for other events.",
        ),
        Column(
            "document_id", "integer",
            "For a resource_download event: the downloaded resource's document id; empty for other events.",
        ),
    ),
)

COMPLETIONS = TableSpec(
    name="completions",
    title="Module completions",
    row="One completion of a module by a learner (recorded once per learner per module per renewal cycle).",
    columns=(
        PARTICIPANT, PRACTICE_TRIAL_ID, ARM, NATION,
        Column(
            "role", "string", "The learner's role in the practice when they completed (recorded then).",
            allowed=_values(PracticeRole), required=True,
        ),
        MODULE_SLUG, MODULE_KIND,
        Column(
            "module_version", "integer", "The module version the learner completed (recorded then).",
            unit="version number", required=True,
        ),
        Column(
            "cycle", "integer",
            "1 for the learner's first completion of the module; 2, 3 ... for renewals after a certificate expired.",
            unit="cycle", required=True,
        ),
        Column("completed_at", "datetime", "When the module was completed, in UTC, to the whole second.", required=True),
        Column(
            "engagement_percent", "number",
            "The learner's engagement when they completed: the weighted share of the module's sections undertaken, "
            "0 to 100 with two decimals. Completion needs at least the module's threshold (default 80).",
            unit="percent", required=True,
        ),
    ),
)

KNOWLEDGE_CHECK_ATTEMPTS = TableSpec(
    name="knowledge_check_attempts",
    title="Knowledge-check answers",
    row="One answer a learner submitted to a knowledge-check question (every attempt is kept).",
    columns=(
        PARTICIPANT, PRACTICE_TRIAL_ID, ARM, NATION, MODULE_SLUG, MODULE_KIND,
        Column("section_slug", "string", "The section holding the question, at the cut time.", required=True),
        SECTION_POSITION, MODULE_VERSION,
        Column(
            "knowledge_check_block_id", "string", "The question's stable identifier (its block id in the section).",
            required=True,
        ),
        Column(
            "selected_option_ids", "string",
            "The identifiers of the options the learner chose, separated by semicolons, in the order recorded.",
            required=True,
        ),
        Column("is_correct", "boolean", "Whether the answer was right.", required=True),
        Column("attempted_at", "datetime", "When the answer was submitted, in UTC, to the whole second.", required=True),
    ),
)

PROTOCOL_DEVIATIONS = TableSpec(
    name="protocol_deviations",
    title="Protocol deviations",
    row=(
        "One attempt by a learner of a control-arm practice to open an intervention module (refused, and "
        "never counted as an access). The address they tried is not exported; the module and section say "
        "where it was."
    ),
    columns=(
        PARTICIPANT, PRACTICE_TRIAL_ID, ARM, NATION, ROLE_AT_TIME, MODULE_SLUG, MODULE_KIND, SECTION_SLUG,
        SECTION_POSITION,
        Column("occurred_at", "datetime", "When the attempt was made, in UTC, to the whole second.", required=True),
    ),
)

PRACTICES = TableSpec(
    name="practices",
    title="Practices",
    row=(
        "One practice in the trial (implementation or control arm), as the registry held it at the cut time. "
        "No practice names. Practices outside the trial are not exported."
    ),
    columns=(
        Column("trial_id", "string", "The practice's trial ID.", required=True),
        Column("ods_code", "string", "The practice's NHS ODS code (organisation code).", required=True),
        ARM, NATION,
        Column("randomised_on", "date", "The date the practice was randomised.", required=True),
        Column("withdrawn_on", "date", "The date the practice withdrew from the trial; empty if it has not."),
        Column(
            "withdrawal_data_choice", "string",
            "For a withdrawn practice, what it chose for data collected before withdrawal: retain or delete; "
            "empty if not withdrawn.",
            allowed=_values(WithdrawalDataChoice),
        ),
        Column(
            "activity_included", "boolean",
            "false for a withdrawn practice that chose deletion: none of its activity is in any file of the "
            "package. true otherwise (its activity before its withdrawal date is included).",
            required=True,
        ),
    ),
)

CODEBOOK = TableSpec(
    name="codebook",
    title="Codebook",
    row="One column of one file of this package.",
    columns=(
        Column("file", "string", "The file the column is in.", required=True),
        Column("column", "string", "The column's name (its header).", required=True),
        Column("type", "string", "The column's type, as its Table Schema in datapackage.json declares it.", required=True),
        Column("unit", "string", "The unit of a count or measure; empty where none applies."),
        Column(
            "allowed_values", "string", "The only values the column may hold, separated by |; empty if not a fixed list."
        ),
        Column("required", "boolean", "true if every row has a value; false if the column may be empty.", required=True),
        Column("definition", "string", "What the column holds.", required=True),
    ),
)

# The data files in the order the package lists them (the codebook last).
DATA_TABLES: tuple[TableSpec, ...] = (ACCESS_LOG, COMPLETIONS, KNOWLEDGE_CHECK_ATTEMPTS, PROTOCOL_DEVIATIONS, PRACTICES)
ALL_TABLES: tuple[TableSpec, ...] = (*DATA_TABLES, CODEBOOK)


def codebook_rows() -> list[list[str]]:
    """Return one codebook row per column of every file."""
    return [
        [
            table.path, column.name, column.type_label, column.unit, "|".join(column.allowed),
            "true" if column.required else "false", column.definition,
        ]
        for table in ALL_TABLES
        for column in table.columns
    ]


def codebook_markdown(*, intro: str) -> str:
    """Return codebook.md: each file, what a row is, and a table of its columns."""
    lines = ["# Codebook", "", intro, ""]
    for table in ALL_TABLES:
        lines += [f"## {table.path}: {table.title}", "", f"One row: {table.row}", ""]
        lines += ["| Column | Type | Unit | Allowed values | Required | Definition |", "|---|---|---|---|---|---|"]
        for column in table.columns:
            allowed = ", ".join(f"`{value}`" for value in column.allowed)
            cells = [f"`{column.name}`", column.type_label, column.unit, allowed, "yes" if column.required else "no",
                     column.definition.replace("|", "\\|")]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)

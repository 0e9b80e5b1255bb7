"""One access-log row as the API gives it: access_log.csv's columns and values, typed for JSON.

The labels come from the registry frozen at the call (research.selectors.freeze_registry), as a
data cut's come from its own freeze, so a row here and the same event's row in a cut made at the
same moment agree cell for cell (tests/research/test_api.py compares them). Where the CSV has an
empty cell, the JSON has null.
"""

from __future__ import annotations

from typing import Any

from ..exports.codebook import ACCESS_LOG
from ..exports.package import iso_second
from ..pseudonyms import Pseudonymiser
from ..selectors import FrozenPractice

COLUMNS = tuple(ACCESS_LOG.header)
# A knowledge check's correctness as the database returns it from the event's detail: JSON text on
# PostgreSQL, 1/0 on SQLite, None when the event is not an answer.
_CORRECT = {None: None, "true": True, "false": False, 1: True, 0: False}


class EventLabels:
    """A frozen registry's practice attributes and module and section labels, by id."""

    def __init__(self, frozen: dict[str, Any], practices: list[FrozenPractice]) -> None:
        self.practices = {p.id: (p.trial_id, p.arm, p.nation) for p in practices}
        self.modules = {int(k): (v["slug"], v["kind"]) for k, v in frozen["modules"].items()}
        self.sections = {int(k): (v["slug"], v["position"]) for k, v in frozen["sections"].items()}
        self.sections[None] = (None, None)


def event_as_dict(record: tuple, labels: EventLabels, pseudonym: Pseudonymiser) -> dict[str, Any]:
    """Return one event (learning.selectors.events.EVENT_FIELDS) as an access-log row."""
    (_id, user_id, practice_id, role, event_type, module_id, section_id, module_version, visit_number,
     occurred_at, block_id, is_correct, document_id) = record
    values = (
        pseudonym(user_id), *labels.practices[practice_id], role, event_type, *labels.modules[module_id],
        *labels.sections[section_id], module_version, visit_number, iso_second(occurred_at),
        block_id if block_id not in (None, "") else None, _CORRECT[is_correct],
        int(document_id) if document_id not in (None, "") else None,
    )
    return dict(zip(COLUMNS, values, strict=True))

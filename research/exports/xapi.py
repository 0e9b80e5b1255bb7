"""The access log as xAPI 1.0.3 statements (JSON lines), for learning record stores.

One statement per access-log event, built from the same rows as access_log.csv (so the same
events, period, cut and frozen labels). The actor is a pseudonymous account: the participant ID
under the site's address, never a name or an email (mbox). Each statement's id is a UUID derived
from the event's id, so an LRS that receives a cut twice stores each statement once, and the file
is byte-identical when the cut is generated again. Keys are sorted and separators fixed for the
same reason.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings

XAPI_VERSION = "1.0.3"
# A fixed namespace for statement ids (uuid5 of the event's id): stable across exports.
STATEMENT_NAMESPACE = uuid.UUID("6f1c3b1e-0b2a-5d53-9a51-1d6f4b8e2c7a")
LANGUAGE = "en-GB"

# event_type -> (verb IRI, display)
VERBS: dict[str, tuple[str, str]] = {
    "module_view": ("http://adlnet.gov/expapi/verbs/launched", "launched"),
    "section_view": ("http://adlnet.gov/expapi/verbs/experienced", "experienced"),
    "section_complete": ("http://adlnet.gov/expapi/verbs/progressed", "progressed"),
    "knowledge_check": ("http://adlnet.gov/expapi/verbs/answered", "answered"),
    "resource_download": ("http://id.tincanapi.com/verb/downloaded", "downloaded"),
    "completion": ("http://adlnet.gov/expapi/verbs/completed", "completed"),
}
MODULE_TYPE = "http://adlnet.gov/expapi/activities/module"
SECTION_TYPE = "http://adlnet.gov/expapi/activities/lesson"
QUESTION_TYPE = "http://adlnet.gov/expapi/activities/cmi.interaction"
DOCUMENT_TYPE = "http://id.tincanapi.com/activitytype/document"


def site_address() -> str:
    """Return the site's public address, the home page of actors' accounts and activities."""
    return str(getattr(settings, "WAGTAILADMIN_BASE_URL", "")).rstrip("/") or "https://example.invalid"


def _activity(activity_id: str, kind: str, name: str) -> dict[str, Any]:
    return {"objectType": "Activity", "id": activity_id, "definition": {"type": kind, "name": {LANGUAGE: name}}}


def statement(event_id: int, row: list, header: list[str], *, home: str) -> dict[str, Any]:
    """Return one access-log row (as written to access_log.csv) as an xAPI statement."""
    cell = dict(zip(header, row, strict=True))
    base = f"{home}/xapi/activities"
    module = _activity(f"{base}/module/{cell['module_slug']}", MODULE_TYPE, cell["module_slug"])
    section = (
        _activity(f"{base}/module/{cell['module_slug']}/section/{cell['section_slug']}", SECTION_TYPE, cell["section_slug"])
        if cell["section_slug"] else None
    )
    event_type = cell["event_type"]
    target, parents, result = module, [], None
    if event_type == "knowledge_check" and section is not None:
        block = cell["knowledge_check_block_id"]
        target = _activity(f"{section['id']}/check/{block}", QUESTION_TYPE, block)
        parents = [section, module]
        if cell["knowledge_check_correct"] != "":
            result = {"success": cell["knowledge_check_correct"] == "true"}
    elif event_type == "resource_download" and cell["document_id"] != "":
        target = _activity(f"{base}/document/{cell['document_id']}", DOCUMENT_TYPE, f"document {cell['document_id']}")
        parents = [section, module] if section else [module]
    elif section is not None:
        target, parents = section, [module]
    elif event_type == "completion":
        result = {"completion": True}
    verb_id, verb_name = VERBS[event_type]
    ext = f"{home}/xapi/extensions"
    return {
        "id": str(uuid.uuid5(STATEMENT_NAMESPACE, f"learning-event:{event_id}")),
        "actor": {"objectType": "Agent", "account": {"homePage": home, "name": cell["participant_id"]}},
        "verb": {"id": verb_id, "display": {LANGUAGE: verb_name}},
        "object": target,
        **({"result": result} if result else {}),
        "context": {
            **({"contextActivities": {"parent": parents}} if parents else {}),
            "extensions": {
                f"{ext}/practice-trial-id": cell["practice_trial_id"],
                f"{ext}/arm": cell["arm"],
                f"{ext}/nation": cell["nation"],
                f"{ext}/role": cell["role"],
                f"{ext}/module-kind": cell["module_kind"],
                f"{ext}/module-version": cell["module_version"],
                f"{ext}/visit-number": cell["visit_number"],
                **({f"{ext}/section-position": cell["section_position"]} if cell["section_position"] != "" else {}),
            },
        },
        "timestamp": cell["occurred_at"],
        "version": XAPI_VERSION,
    }


def statement_lines(rows: Iterable[tuple[int, list]], header: list[str]) -> Iterator[str]:
    """Yield one JSON line per (event id, access-log row)."""
    home = site_address()
    for event_id, row in rows:
        yield json.dumps(statement(event_id, row, header, home=home), sort_keys=True, separators=(",", ":"),
                         ensure_ascii=False) + "\n"

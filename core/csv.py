"""The one CSV writer for every file the platform writes: text cells never start a formula.

A spreadsheet opening a CSV treats a cell that begins with `=`, `+`, `-` or `@` as a formula, and
some also start one after a leading tab or carriage return. A practice name, a reflection title or
an email address typed by a user could then run in a researcher's spreadsheet ("CSV injection").
Following OWASP's advice, such a text cell is written with a single quote in front, which the
spreadsheet shows and never evaluates.

Only text is escaped. Numbers written as numbers (int, float, Decimal; bool too) are not text and
keep their sign, so a negative figure in a numeric column stays -3, not '-3. A writer of numeric
columns therefore passes numbers, not their str(); a negative number passed as text is escaped like
any other text, which is the safe side to err on.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
NUMBER_TYPES = (int, float, Decimal)


def safe_cell(value: Any) -> Any:
    """Return the value with a quote in front if it is text a spreadsheet would read as a formula."""
    if isinstance(value, NUMBER_TYPES) or value is None:
        return value
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text


def safe_cell_sql(expression: str) -> str:
    """Return SQL applying safe_cell's rule to a text expression, for a database that writes the CSV itself.

    The same prefixes as FORMULA_PREFIXES, written as SQL (`substr` and `||` work on PostgreSQL and
    SQLite); NULL stays NULL. The expression appears three times, so pass a column, not a subquery.
    """
    # Each prefix a quoted SQL literal; a tab or carriage return stands in it as itself.
    prefixes = ", ".join("'" + prefix.replace("'", "''") + "'" for prefix in FORMULA_PREFIXES)
    return f"CASE WHEN substr({expression}, 1, 1) IN ({prefixes}) THEN '''' || {expression} ELSE {expression} END"


def safe_row(values: Iterable[Any]) -> list[Any]:
    """Return a row with every cell passed through safe_cell."""
    return [safe_cell(value) for value in values]


class SafeWriter:
    """A csv.writer whose rows are neutralised cell by cell before they are written."""

    def __init__(self, stream: Any, **kwargs: Any) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        """Write one row (returns what the stream's write returned, for streaming responses)."""
        return self._writer.writerow(safe_row(row))

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write every row."""
        for row in rows:
            self.writerow(row)


def writer(stream: Any, **kwargs: Any) -> SafeWriter:
    """Return a CSV writer on the stream that neutralises formula cells (csv.writer's arguments)."""
    return SafeWriter(stream, **kwargs)

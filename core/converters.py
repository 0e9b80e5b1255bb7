"""URL path converters shared by our apps: ids the database can hold, or no match (404)."""

from __future__ import annotations

from django.urls import register_converter

# Django's AutoField/BigAutoField hold at most a signed 64-bit integer. A larger number in a URL
# would reach the database driver and fail there (SQLite raises OverflowError, a 500), so it
# simply does not match the route: the visitor gets a 404 like for any other unknown id.
MAX_ID = 2**63 - 1


class IdConverter:
    """Match a positive database id (1 to 2**63 - 1); anything larger is no match."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValueError(f"{value} is not a database id")
        return number

    def to_url(self, value: int) -> str:
        return str(int(value))


register_converter(IdConverter, "id")

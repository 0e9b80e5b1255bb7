"""The one CSV helper: text cells that a spreadsheet would run as a formula get a quote in front."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest

from core.csv import safe_cell, writer


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Oak Tree Surgery", "Oak Tree Surgery"),
        ("a=b", "a=b"),
        ("", ""),
        ("'already quoted", "'already quoted"),
    ],
)
def test_text_cells(value, written):
    assert safe_cell(value) == written


def test_numbers_stay_numbers_and_keep_their_sign():
    assert safe_cell(-3) == -3
    assert safe_cell(-2.5) == -2.5
    assert safe_cell(Decimal("-1.50")) == Decimal("-1.50")
    assert safe_cell(True) is True
    assert safe_cell(None) is None
    # Anything else is written as its text, and that text is checked.
    assert safe_cell(date(2026, 1, 5)) == "2026-01-05"


def test_the_writer_neutralises_every_cell_of_every_row():
    buffer = io.StringIO()
    out = writer(buffer, lineterminator="\n")
    out.writerow(["name", "days"])
    out.writerows([["=cmd|' /C calc'!A0", -3], ["@x", 4]])
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [
        ["name", "days"], ["'=cmd|' /C calc'!A0", "-3"], ["'@x", "4"],
    ]


@pytest.mark.django_db
def test_the_sql_rule_neutralises_exactly_what_safe_cell_does():
    from django.db import connection

    from core.csv import safe_cell_sql

    values = ["=1+1", "+44", "-2", "@SUM(A1)", "\t=1", "\r=1", "Oak Tree", "a=b", "'quoted", " =1", "ŵ=1", "", None]
    with connection.cursor() as cursor:
        for value in values:
            cursor.execute(f"SELECT {safe_cell_sql('%s')}", [value] * 3)  # noqa: S608 (the rule's own SQL)
            assert cursor.fetchone()[0] == safe_cell(value), repr(value)

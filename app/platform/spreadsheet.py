"""CSV cells a spreadsheet opens as data: text that would run as a formula is quoted.

Every CSV the workbench writes (brand exports, the audit trail, payout files, statements) can carry
text that came from outside: a worker or proof id, a comment, an email typed at the sign-in form.
A spreadsheet runs a cell that starts with =, +, -, @ (or a tab or carriage return before one) as a
formula; a leading apostrophe makes it text. Plain numbers stay as they are (a refund is -12.00).
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def safe_cell(value: Any) -> Any:
    """A CSV cell: times in ISO 8601, structures as JSON, formula-like text quoted with an apostrophe."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value.startswith(FORMULA_START) and not NUMBER.fullmatch(value):
        return "'" + value
    return value

"""Briefs to screen from a file: plain text (one brief per line) or a JSON Lines campaigns file.

A file is JSON Lines when its name ends in .jsonl or its first non-blank line is a JSON object.
Campaign lines are checked with the exchange format's own parser, so a bad line is named by
`line: field: problem` exactly as `flask import` would name it.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from app.compliance.screening.engine import Subject


@dataclass(frozen=True)
class Item:
    line: int
    subject: Subject | None = None
    error: str | None = None  # "field: problem" when the line cannot be screened


def _is_jsonl(path: Path, lines: list[str]) -> bool:
    if path.suffix.lower() == ".jsonl":
        return True
    first = next((line.strip() for line in lines if line.strip()), "")
    if not first.startswith("{"):
        return False
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def read_items(path: Path, parse_campaign: Callable[[dict], dict]) -> Iterator[Item]:
    """Items of the file in line order; blank lines are skipped (line numbers are kept).

    Raises UnicodeDecodeError (with its position) for a file that is not UTF-8.
    """
    lines = path.read_bytes().decode("utf-8-sig").splitlines()
    jsonl = _is_jsonl(path, lines)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if not jsonl:
            yield Item(number, Subject(brief=line))
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Item(number, error=f"line: not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        if not isinstance(obj, dict):
            yield Item(number, error="line: must be a JSON object")
            continue
        try:
            row = parse_campaign(obj)
        except ValueError as exc:  # the parser's RecordError names the field
            yield Item(number, error=str(exc))
            continue
        yield Item(number, Subject(brief=row.get("brief"), action=row.get("action"),
                                   reward_cents=row.get("reward_cents")))


def format_finding(line: int, code: str, severity: str, matched: str) -> str:
    """`LINE: RULE SEVERITY "matched text"`; inside the quotes \\ and " are escaped, line breaks are spaces."""
    text = " ".join(matched.split("\n")).replace("\\", "\\\\").replace('"', '\\"')
    return f'{line}: {code} {severity} "{text}"'

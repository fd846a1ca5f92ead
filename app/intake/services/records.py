"""Parsing and validation of the exchange format (DESIGN.md), shared by `import` and the API.

Each parser takes one decoded JSON object and returns a dict of clean values, or raises
RecordError naming the field. Unknown keys are ignored.
"""
from __future__ import annotations

import ipaddress
import json
import re
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from models import ACTIONS, KYC_STATES


class RecordError(ValueError):
    def __init__(self, field: str, problem: str):
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


# Matched whole (fullmatch: no trailing newline) and ASCII only (no Arabic-Indic or full-width digits).
HEX16 = re.compile(r"[0-9a-fA-F]{16}")
HEX64 = re.compile(r"[0-9a-fA-F]{64}")
SCREEN = re.compile(r"[0-9]{2,5}x[0-9]{2,5}")
ID_MAX = 64
# Bounds of the integer fields: far above any real value, far below what a database column holds.
MAX_CENTS = 10 ** 12  # ¥10 billion
MAX_COUNT = 10 ** 9  # completions, seconds
FLOAT_EXACT = 2 ** 53  # an integral float above this is not an exact integer (1e300 is not a count)
# Times outside these years are typing errors or probes, and some do not convert to UTC at all
# (the stack's own range ends in 2262). Real exports hold 1970 placeholders and old sign-ups, so the
# floor is low; an open end written as 9999-12-31 is read as no end where a field may be open.
YEAR_MIN, YEAR_MAX = 1900, 2200


def json_problem(exc: ValueError | RecursionError) -> str:
    """Why a text is not JSON we read, in words (json's own messages, without its doubled "at")."""
    if isinstance(exc, RecursionError):
        return "too deeply nested"
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg.removesuffix(' at')} at column {exc.colno}"
    if "integer string conversion" in str(exc):
        return f"a number longer than {sys.get_int_max_str_digits()} digits"
    return str(exc)


def _get(obj: dict[str, Any], key: str, required: bool) -> Any:
    value = obj.get(key)
    if value is None or value == "" or (required and isinstance(value, str) and not value.strip()):
        if required:
            raise RecordError(key, "is required")
        return None
    return value


def text(obj: dict, key: str, *, required: bool = False, max_len: int = 2000) -> str | None:
    value = _get(obj, key, required)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(key, f"must be a string, got {type(value).__name__}")
    if len(value) > max_len:
        raise RecordError(key, f"is longer than {max_len} characters")
    _storable(key, value)
    return value


def _storable(key: str, value: str) -> None:
    """Text PostgreSQL can store: no NUL character, no lone surrogate (JSON's \\ud800 escapes decode to one)."""
    if "\x00" in value:
        raise RecordError(key, "contains a NUL character (\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise RecordError(key, "is not valid Unicode (an unpaired surrogate)") from None


def ident(obj: dict, key: str, *, required: bool = True) -> str | None:
    value = obj.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)  # numeric ids are common in exports; keep them as text
        obj = {**obj, key: value}
    elif isinstance(value, str) and not value.strip():
        obj = {**obj, key: None}  # blank is missing
    return text(obj, key, required=required, max_len=ID_MAX)


def timestamp(obj: dict, key: str, *, required: bool = False, open_end: bool = False) -> datetime | None:
    """`open_end`: a time after YEAR_MAX (9999-12-31, say) means none (a campaign that never ends)."""
    value = _get(obj, key, required)
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(key, "must be an ISO 8601 string with an offset")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise RecordError(key, f"{_shown(value)} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise RecordError(key, f"{_shown(value)} has no UTC offset")
    try:
        year = parsed.astimezone(UTC).year  # as stored; 0001-01-01T00:00+05:00 has no UTC time at all
    except OverflowError:
        year = None
    if open_end and parsed.year > YEAR_MAX:
        return None
    if year is None or not YEAR_MIN <= year <= YEAR_MAX:
        raise RecordError(key, f"{_shown(value)} is not a time between the years {YEAR_MIN} and {YEAR_MAX}")
    return parsed


def integer(obj: dict, key: str, *, required: bool = False, low: int | None = 0, high: int | None = None) -> int | None:
    value = _get(obj, key, required)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer() and abs(value) <= FLOAT_EXACT:
            value = int(value)  # 100.0, as some exporters write counts
        else:
            raise RecordError(key, f"must be an integer, got {_shown(value)}")
    if low is not None and value < low:
        raise RecordError(key, f"must be at least {low}, got {_shown(value)}")
    if high is not None and value > high:
        raise RecordError(key, f"must be at most {high}, got {_shown(value)}")
    return value


def _shown(value: Any) -> str:
    """A value for a message: a number of a thousand digits is named by its length, not written out."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10 ** 30:
        return f"a number of {len(str(abs(value)))} digits"
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def fraction(obj: dict, key: str) -> float | None:
    value = _get(obj, key, False)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise RecordError(key, f"must be a number in [0, 1], got {value!r}")
    return float(value)


def boolean(obj: dict, key: str) -> bool | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise RecordError(key, f"must be true or false, got {value!r}")
    return value


def choice(obj: dict, key: str, options: tuple[str, ...], *, required: bool = False,
           default: str | None = None) -> str | None:
    value = _get(obj, key, required)
    if value is None:
        return default
    if value not in options:
        raise RecordError(key, f"{value!r} is not one of {', '.join(options)}")
    return value


def pattern(obj: dict, key: str, regex: re.Pattern[str], description: str) -> str | None:
    value = text(obj, key)
    if value is not None and not regex.fullmatch(value):
        raise RecordError(key, f"{value!r} is not {description}")
    return value.lower() if value is not None and regex in (HEX16, HEX64) else value


def ip_address(obj: dict, key: str) -> str:
    value = text(obj, key, required=True, max_len=64)
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise RecordError(key, f"{value!r} is not an IPv4 or IPv6 address") from None


def _order(row: dict, early: str, late: str) -> None:
    if row.get(early) and row.get(late) and row[late] < row[early]:
        raise RecordError(late, f"is before {early}")


def parse_brand(obj: dict) -> dict:
    return {
        "id": ident(obj, "id"), "name": text(obj, "name", required=True, max_len=200),
        "kyc_status": choice(obj, "kyc_status", KYC_STATES, default="pending"),
        "license_no": text(obj, "license_no", max_len=100),
        "contact_email": text(obj, "contact_email", max_len=254),
        "created_at": timestamp(obj, "created_at"),
    }


def parse_room(obj: dict) -> dict:
    return {
        "id": ident(obj, "id"), "platform": text(obj, "platform", required=True, max_len=64),
        "name": text(obj, "name", required=True, max_len=200), "category": text(obj, "category", max_len=64),
    }


def parse_session(obj: dict) -> dict:
    row = {
        "id": ident(obj, "id"), "room_id": ident(obj, "room_id"),
        "starts_at": timestamp(obj, "starts_at", required=True), "ends_at": timestamp(obj, "ends_at", required=True),
    }
    _order(row, "starts_at", "ends_at")
    return row


def parse_campaign(obj: dict, default_commission: float) -> dict:
    row = {
        "id": ident(obj, "id"), "brand_id": ident(obj, "brand_id"), "room_id": ident(obj, "room_id"),
        "action": choice(obj, "action", ACTIONS, required=True),
        "reward_cents": integer(obj, "reward_cents", required=True, low=1, high=MAX_CENTS),
        "budget_cents": integer(obj, "budget_cents", required=True, low=0, high=MAX_CENTS),
        "commission_rate": fraction(obj, "commission_rate"),
        "max_completions": integer(obj, "max_completions", low=0, high=MAX_COUNT),
        "min_watch_seconds": integer(obj, "min_watch_seconds", low=0, high=MAX_COUNT),
        "brief": text(obj, "brief", max_len=20000),
        "starts_at": timestamp(obj, "starts_at"), "ends_at": timestamp(obj, "ends_at", open_end=True),
    }
    if row["commission_rate"] is None:
        row["commission_rate"] = default_commission
    _order(row, "starts_at", "ends_at")
    return row


def parse_worker(obj: dict) -> dict:
    return {
        "id": ident(obj, "id"), "created_at": timestamp(obj, "created_at", required=True),
        "region": text(obj, "region", max_len=32), "timezone": text(obj, "timezone", max_len=64),
        "language": text(obj, "language", max_len=32), "phone": text(obj, "phone", max_len=32),
    }


def parse_device(obj: dict) -> dict | None:
    device = obj.get("device")
    if device is None:
        return None
    if not isinstance(device, dict):
        raise RecordError("device", "must be an object")

    def field(parse: Callable[..., Any], key: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return parse(device, key, *args, **kwargs)
        except RecordError as exc:
            raise RecordError(f"device.{exc.field}", exc.problem) from None

    return {
        "fingerprint": field(text, "fingerprint", max_len=200),
        "platform": field(text, "platform", max_len=64), "os": field(text, "os", max_len=64),
        "screen": field(pattern, "screen", SCREEN, "WIDTHxHEIGHT like 1080x2400"),
        "timezone": field(text, "timezone", max_len=64), "language": field(text, "language", max_len=32),
        "webdriver": field(boolean, "webdriver"), "emulator": field(boolean, "emulator"),
        "touch_points": field(integer, "touch_points", high=100),
        "hardware_concurrency": field(integer, "hardware_concurrency", high=1024),
        "canvas_hash": field(text, "canvas_hash", max_len=200),
        "webgl_renderer": field(text, "webgl_renderer", max_len=200),
    }


def parse_proof(obj: dict) -> dict:
    row = {
        "id": ident(obj, "id"), "campaign_id": ident(obj, "campaign_id"), "worker_id": ident(obj, "worker_id"),
        "accepted_at": timestamp(obj, "accepted_at", required=True),
        "submitted_at": timestamp(obj, "submitted_at", required=True),
        "started_at": timestamp(obj, "started_at"),
        "ip": ip_address(obj, "ip"),
        "user_agent": text(obj, "user_agent", max_len=1000),
        "watch_seconds": integer(obj, "watch_seconds", high=7 * 24 * 3600),
        "comment_text": text(obj, "comment_text", max_len=5000),
        "screenshot_sha256": pattern(obj, "screenshot_sha256", HEX64, "64 hex digits"),
        "screenshot_phash": pattern(obj, "screenshot_phash", HEX16, "16 hex digits"),
        "device": parse_device(obj),
    }
    # Out-of-order times are evidence (clock tampering, scripts), scored by the timing rules,
    # not a reason to drop the proof.
    return row


def parse_decision(obj: dict) -> dict:
    return {
        "proof_id": ident(obj, "proof_id"),
        "decision": choice(obj, "decision", ("approved", "rejected"), required=True),
        "reason": text(obj, "reason", max_len=64), "decided_at": timestamp(obj, "decided_at"),
    }

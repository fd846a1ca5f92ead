"""The schemas and shared pieces of the OpenAPI document (app/intake/openapi.py puts them together)."""
from __future__ import annotations

from typing import Any

from models import ProofState
from models.review import ACTOR_KINDS, DECISIONS

TIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}(:?\d{2})?)$"
STATES = [s.value for s in ProofState]
ROUTES = ["auto_approve", "review", "hold"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _text(max_len: int, description: str = "", nullable: bool = True) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": ["string", "null"] if nullable else "string", "maxLength": max_len}
    if description:
        schema["description"] = description
    return schema


def _time(description: str, nullable: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", "format": "date-time", "pattern": TIME,
            "description": description + " ISO 8601 / RFC 3339 with a UTC offset (Z or +08:00); "
                                         "a time without an offset is refused."}


def _integer(low: int, high: int, description: str = "") -> dict[str, Any]:
    return {"type": ["integer", "null"], "minimum": low, "maximum": high, "description": description}


def _hex(digits: int, description: str) -> dict[str, Any]:
    return {"type": ["string", "null"], "pattern": f"^[0-9a-fA-F]{{{digits}}}$", "description": description}


ID = {"oneOf": [{"type": "string", "minLength": 1, "maxLength": 64}, {"type": "integer"}],
      "description": "Text of at most 64 characters; a JSON integer is accepted and stored as text."}

DEVICE = {
    "type": ["object", "null"],
    "description": "What the client saw of the device. Every key is optional; a missing device is itself a "
                   "risk signal. Unknown keys are ignored.",
    "properties": {
        "fingerprint": _text(200, "The client's visitor id (stored only as a keyed hash)."),
        "platform": _text(64), "os": _text(64),
        "screen": {"type": ["string", "null"], "pattern": r"^\d{2,5}x\d{2,5}$", "examples": ["1080x2400"]},
        "timezone": _text(64, "IANA name, e.g. Asia/Shanghai."), "language": _text(32),
        "webdriver": {"type": ["boolean", "null"]}, "emulator": {"type": ["boolean", "null"]},
        "touch_points": _integer(0, 100), "hardware_concurrency": _integer(0, 1024),
        "canvas_hash": _text(200, "Stored only as a keyed hash."), "webgl_renderer": _text(200),
    },
}

PROOF = {
    "type": "object",
    "description": "One submitted proof, the `proofs.jsonl` line of the exchange format. Unknown keys are ignored; "
                   "null or an empty string means the key is absent.",
    "required": ["id", "campaign_id", "worker_id", "accepted_at", "submitted_at", "ip"],
    "properties": {
        "id": ID,
        "campaign_id": {**ID, "description": "Must name a stored campaign (else 422, field campaign_id)."},
        "worker_id": {**ID, "description": "Must name a stored worker (else 422, field worker_id)."},
        "accepted_at": _time("When the worker took the task."),
        "submitted_at": _time("When the worker submitted the proof."),
        "started_at": _time("When the worker started the task.", nullable=True),
        "ip": {"type": "string", "maxLength": 64, "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}],
               "description": "The submitting IPv4 or IPv6 address; stored encrypted, never returned."},
        "user_agent": _text(1000),
        "watch_seconds": _integer(0, 7 * 24 * 3600, "Seconds watched, for watch tasks."),
        "comment_text": _text(5000),
        "screenshot_sha256": _hex(64, "sha256 of the screenshot, 64 hex digits."),
        "screenshot_phash": _hex(16, "Perceptual hash of the screenshot, 16 hex digits."),
        "device": _ref("Device"),
    },
}

ERROR = {
    "type": "object", "required": ["error", "message"], "additionalProperties": False,
    "properties": {
        "error": {"type": "string", "description": "Machine-readable code, e.g. malformed_json, unauthorized."},
        "message": {"type": "string", "description": "What went wrong and what to do, for a person."},
    },
}

ITEM_PROBLEM = {
    "type": "object", "required": ["index", "id", "field", "problem"], "additionalProperties": False,
    "properties": {
        "index": {"type": "integer", "minimum": 0, "description": "Position of the item in the request (0 for a "
                                                                   "single object)."},
        "id": {"type": ["string", "null"], "description": "The item's id, when it has a readable one."},
        "field": {"type": "string", "description": "Exchange-format field name, e.g. submitted_at, device.screen; "
                                                   "`item` when the item is not an object."},
        "problem": {"type": "string"},
    },
}

ITEM_ERRORS = {
    "type": "object", "required": ["error", "message", "items"], "additionalProperties": False,
    "properties": {
        "error": {"type": "string", "enum": ["validation", "conflict"]},
        "message": {"type": "string"},
        "items": {"type": "array", "minItems": 1, "items": _ref("ItemProblem")},
    },
}

INGEST_ITEM = {
    "type": "object", "required": ["id", "status", "state", "url"], "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": ["accepted", "duplicate"],
                   "description": "accepted: stored now; duplicate: already stored with the same content."},
        "state": {"type": "string", "enum": STATES, "description": "Lifecycle state right after this request."},
        "url": {"type": "string", "description": "Where to read the proof's state: /api/v1/proofs/{id}."},
    },
}

INGEST_RESULT = {
    "type": "object", "required": ["accepted", "duplicate", "items"], "additionalProperties": False,
    "properties": {
        "accepted": {"type": "integer", "minimum": 0}, "duplicate": {"type": "integer", "minimum": 0},
        "items": {"type": "array", "items": _ref("IngestItem"), "description": "One entry per item, request order."},
    },
}

SIGNAL = {
    "type": "object", "required": ["code", "score", "reason"], "additionalProperties": False,
    "properties": {"code": {"type": "string"}, "score": {"type": ["number", "null"]},
                   "reason": {"type": "string", "description": "Human-readable; IPs and phones are masked."}},
}

SCORE = {
    "type": ["object", "null"],
    "required": ["risk_score", "route", "reasons", "signals", "ruleset_version", "model_version", "degraded",
                 "scored_at"],
    "additionalProperties": False,
    "properties": {
        "risk_score": {"type": "number", "minimum": 0, "maximum": 1},
        "route": {"type": "string", "enum": ROUTES},
        "reasons": {"type": "array", "items": {"type": "string"}, "description": "Codes of the signals that fired."},
        "signals": {"type": "array", "items": _ref("Signal")},
        "ruleset_version": {"type": ["integer", "null"]}, "model_version": {"type": ["string", "null"]},
        "degraded": {"type": "boolean", "description": "True when part of the scoring was unavailable."},
        "scored_at": {"type": "string", "format": "date-time"},
    },
}

DECISION = {
    "type": ["object", "null"], "required": ["decision", "reason_code", "reason_text", "decided_at", "actor_kind"],
    "additionalProperties": False,
    "properties": {
        "decision": {"type": "string", "enum": list(DECISIONS)},
        "reason_code": {"type": ["string", "null"]},
        "reason_text": {"type": ["string", "null"],
                        "description": "The reason in words a worker can be shown (language of Accept-Language)."},
        "decided_at": {"type": "string", "format": "date-time"},
        "actor_kind": {"type": "string", "enum": list(ACTOR_KINDS)}, "worker_message": _ref("WorkerMessage"),
    },
}

PROOF_STATUS = {
    "type": "object", "required": ["id", "state", "state_text", "submitted_at", "score", "decision", "info_request"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"}, "state": {"type": "string", "enum": STATES},
        "state_text": {"type": "string",
                       "description": "The state in words for the worker (Accept-Language: zh-CN or en)."},
        "submitted_at": {"type": "string", "format": "date-time"},
        "score": _ref("Score"), "decision": _ref("Decision"),
        "info_request": {"oneOf": [_ref("InfoRequest"), {"type": "null"}],
                         "description": "The newest question to the worker about this proof, if any."},
    },
}


APPEAL = {
    "type": "object", "required": ["id", "proof_id", "status", "created_at"], "additionalProperties": False,
    "properties": {
        "id": {"type": "integer"}, "proof_id": {"type": "string"},
        "status": {"type": "string", "enum": ["open", "upheld", "denied"]},
        "created_at": {"type": "string", "format": "date-time"},
    },
}

WORKER_STANDING = {
    "type": "object", "required": ["worker_id", "status", "may_take_tasks", "sanctions"], "additionalProperties": False,
    "properties": {
        "worker_id": {"type": "string"},
        "status": {"type": "string", "enum": ["good", "restricted", "suspended", "banned"],
                   "description": "The strongest platform-wide sanction in force, or good."},
        "may_take_tasks": {"type": "boolean", "description": "False while a platform-wide sanction is in force; "
                                                             "check `sanctions` for brand or campaign scopes."},
        "sanctions": {"type": "array", "items": {
            "type": "object", "required": ["id", "kind", "scope", "scope_id", "starts_at", "ends_at"],
            "additionalProperties": False,
            "properties": {
                "id": {"type": "integer"}, "kind": {"type": "string", "enum": ["restrict", "suspend", "ban"]},
                "scope": {"type": "string", "enum": ["platform", "brand", "campaign"]},
                "scope_id": {"type": ["string", "null"], "description": "The brand or campaign id."},
                "starts_at": {"type": "string", "format": "date-time"},
                "ends_at": {"type": ["string", "null"], "format": "date-time", "description": "null: until lifted."},
            }}},
    },
}


def _json(schema_name: str, description: str, headers: dict | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"description": description,
                                "content": {"application/json": {"schema": _ref(schema_name)}}}
    if headers:
        response["headers"] = headers
    return response


UNAUTHORIZED = _json("Error", "No token, or an unknown or revoked token.", {
    "WWW-Authenticate": {"schema": {"type": "string"}, "description": 'Bearer realm="workbench-api"[, '
                                                                       'error="invalid_token"]'}})

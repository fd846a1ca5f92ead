"""The OpenAPI 3.1 document of the JSON API, written by hand to say what the code does.

tests/intake/test_openapi.py holds it to that: real responses are validated against these schemas
and every /api/v1 route must appear here.
"""
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
        "campaign_id": {**ID, "description": "Must name a stored campaign."},
        "worker_id": {**ID, "description": "Must name a stored worker."},
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
        "actor_kind": {"type": "string", "enum": list(ACTOR_KINDS)},
    },
}

PROOF_STATUS = {
    "type": "object", "required": ["id", "state", "state_text", "submitted_at", "score", "decision"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string"}, "state": {"type": "string", "enum": STATES},
        "state_text": {"type": "string",
                       "description": "The state in words for the worker (Accept-Language: zh-CN or en)."},
        "submitted_at": {"type": "string", "format": "date-time"},
        "score": _ref("Score"), "decision": _ref("Decision"),
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


CAMPAIGN = {
    "type": "object",
    "description": "One campaign, the `campaigns.jsonl` line of the exchange format. Unknown keys are ignored.",
    "required": ["id", "brand_id", "room_id", "action", "reward_cents", "budget_cents"],
    "properties": {
        "id": ID, "brand_id": {**ID, "description": "Must name a stored brand."},
        "room_id": {**ID, "description": "Must name a stored room."},
        "action": {"type": "string", "enum": ["like", "comment", "watch", "follow", "share"]},
        "reward_cents": {"type": "integer", "minimum": 1}, "budget_cents": {"type": "integer", "minimum": 0},
        "commission_rate": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "max_completions": _integer(0, 2**31, ""), "min_watch_seconds": _integer(0, 2**31, ""),
        "brief": _text(20000, "What the workers are asked to do; screened by compliance."),
        "starts_at": _time("", nullable=True), "ends_at": _time("", nullable=True),
    },
}

BRIEF_CHANGE = {
    "type": "object", "required": ["brief"],
    "properties": {"brief": _text(20000, "The new brief (null removes it); screened again.")},
}

FINDING = {
    "type": "object", "required": ["code", "severity", "matched", "field"], "additionalProperties": False,
    "properties": {
        "code": {"type": "string", "description": "Screening rule, e.g. review.cashback."},
        "severity": {"type": "string", "enum": ["low", "medium", "high"]},
        "matched": {"type": "string", "description": "The campaign's own words (or setting) that matched."},
        "field": {"type": "string", "description": "brief, room_category or reward_cents."},
    },
}

CAMPAIGN_STATUS = {
    "type": "object", "required": ["id", "status", "brief", "screening"], "additionalProperties": False,
    "properties": {
        "id": {"type": "string"},
        "status": {"type": "string", "enum": ["draft", "active", "closed"],
                   "description": "active: live and funded; draft: waiting for compliance (held)."},
        "brief": {"type": ["string", "null"]},
        "screening": {"type": ["object", "null"], "required": ["status", "rule_set_version", "findings", "reason"],
                      "additionalProperties": False, "properties": {
                          "status": {"type": "string", "enum": ["clear", "held", "resubmitted", "changes_requested",
                                                                "approved", "rejected"]},
                          "rule_set_version": {"type": "integer"},
                          "findings": {"type": "array", "items": _ref("Finding")},
                          "reason": {"type": ["string", "null"], "description": "Compliance's reason, if any."}}},
    },
}


DISPUTE_BODY = {
    "type": "object", "required": ["proof_ids", "reason"],
    "properties": {
        "proof_ids": {"type": "array", "minItems": 1, "maxItems": 500, "items": ID,
                      "description": "Proofs of this brand's campaigns it believes fake."},
        "reason": {"type": "string", "minLength": 5, "maxLength": 5000},
        "brand_id": {**ID, "description": "Optional; if given it must be the token's own brand."},
    },
}

DISPUTE = {
    "type": "object", "required": ["id", "brand_id", "case_id", "case_opened", "status", "proofs", "created_at"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "integer"}, "brand_id": {"type": "string"},
        "case_id": {"type": "integer", "description": "The brand's compliance case the dispute is attached to."},
        "case_opened": {"type": "boolean", "description": "true: the dispute opened that case."},
        "status": {"type": "string", "enum": ["open", "upheld", "rejected"]},
        "proofs": {"type": "object", "additionalProperties": {
            "type": "string", "enum": ["reopened", "queued", "clawback", "unchanged"]},
            "description": "What happened to each disputed proof: reopened (approved, back in review), queued "
                           "(not reviewed yet, put in the review queue), clawback (settled: compliance decides on "
                           "a clawback), unchanged (already rejected or waiting for review)."},
        "created_at": {"type": "string", "format": "date-time"},
    },
}


def _dispute_path() -> dict[str, Any]:
    return {"/api/v1/disputes": {"post": {
        "operationId": "postDispute", "summary": "Dispute completions the brand believes fake (for a brand's client)",
        "description": "Only a token created for a brand (`api-tokens create NAME --brand BRAND_ID`) may file "
                       "disputes, and only about proofs of that brand's campaigns. The dispute goes on the "
                       "brand's open compliance case (one is opened if none: while it is open the brand's "
                       "proofs do not settle and its unused escrow is not refunded). Compliance upholds or "
                       "rejects it.",
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("DisputeRequest")}}},
        "responses": {
            "201": _json("Dispute", "Filed."),
            "400": _json("Error", "Malformed JSON, or a body that is not an object."), "401": UNAUTHORIZED,
            "403": _json("Error", "The token lacks the ingest scope, is not a brand's client "
                                  "(not_a_brand_client), or names another brand (wrong_brand)."),
            "409": _json("Error", "The brand's case or a disputed proof changed under the request (a concurrent "
                                  "decision); try again."),
            "415": _json("Error", "Content-Type is not application/json."),
            "422": _json("DisputeErrors", "No reason, no or too many proof ids, or proofs that are unknown or "
                                          "not this brand's (listed in items)."),
        }}}}


def _campaign_paths() -> dict[str, Any]:
    path_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    return {
        "/api/v1/campaigns": {"post": {
            "operationId": "postCampaign", "summary": "Create a campaign; compliance screens it first",
            "description": "Stored, then screened: a clean campaign goes live at once (its budget moves into "
                           "escrow); one whose brief or settings ask for deceptive engagement stays `draft` until "
                           "compliance approves it.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": _ref("Campaign")}}},
            "responses": {
                "201": _json("CampaignStatus", "Stored and screened.", {"Location": {
                    "schema": {"type": "string"}, "description": "The campaign's URL."}}),
                "400": _json("Error", "Malformed JSON."), "401": UNAUTHORIZED,
                "409": _json("ItemErrors", "A campaign with this id exists (conflict)."),
                "415": _json("Error", "Content-Type is not application/json."),
                "422": _json("ItemErrors", "The campaign is invalid or names an unknown brand or room."),
            }}},
        "/api/v1/campaigns/{id}": {
            "get": {"operationId": "getCampaign", "summary": "A campaign's state and its latest screening",
                    "parameters": path_id,
                    "responses": {"200": _json("CampaignStatus", "The campaign."), "401": UNAUTHORIZED,
                                  "404": _json("Error", "No campaign with this id.")}},
            "patch": {"operationId": "patchCampaign", "summary": "Change a campaign's brief; it is screened again",
                      "parameters": path_id,
                      "requestBody": {"required": True,
                                      "content": {"application/json": {"schema": _ref("BriefChange")}}},
                      "responses": {"200": _json("CampaignStatus", "Changed and screened again."),
                                    "401": UNAUTHORIZED, "404": _json("Error", "No campaign with this id."),
                                    "409": _json("Error", "The campaign is closed."),
                                    "422": _json("ItemErrors", "No brief, or one that is not text.")}},
        },
    }


def _post_proofs(max_batch: int, max_body: int) -> dict[str, Any]:
    return {
        "operationId": "postProofs",
        "summary": "Submit one proof or a batch of proofs",
        "description": (
            f"The body is one proof object or a JSON array of 1 to {max_batch} proof objects, at most {max_body} "
            "bytes. A batch is all or nothing. Idempotent on proof id: an id already stored with the same "
            "content is reported as `duplicate` and nothing is written; with different content the batch is "
            "refused with 409. Scoring is queued after the proofs are committed."),
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"oneOf": [
            _ref("Proof"), {"type": "array", "minItems": 1, "maxItems": max_batch, "items": _ref("Proof")}]}}}},
        "responses": {
            "202": _json("IngestResult", "Every item is stored (now or before).", {"Location": {
                "schema": {"type": "string"}, "description": "The proof's URL; only for a single-object body."}}),
            "400": _json("Error", "Malformed JSON (malformed_json), a body that is neither an object nor an "
                                  "array (bad_request) or an empty array (empty_batch)."),
            "401": UNAUTHORIZED,
            "409": _json("ItemErrors", "Some items reuse a stored id with different content (conflict), one entry "
                                       "per differing field. Nothing was stored."),
            "413": _json("Error", f"Body larger than {max_body} bytes (payload_too_large) or more than {max_batch} "
                                  "items (batch_too_large)."),
            "415": _json("Error", "Content-Type is not application/json."),
            "422": _json("ItemErrors", "Some items are invalid (validation), one entry per invalid item. Nothing "
                                       "was stored."),
        },
    }


def document(max_batch: int, max_body: int) -> dict[str, Any]:
    """The OpenAPI 3.1 document, with this deployment's limits filled in."""
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "Review workbench API", "version": "1",
                 "description": "Machine clients push proofs and read their review state, and create "
                                "campaigns (screened by compliance before they go live). See docs/api.md."},
        "security": [{"bearerToken": []}],
        "paths": {
            "/api/v1/proofs": {"post": _post_proofs(max_batch, max_body)},
            "/api/v1/proofs/{id}": {"get": {
                "operationId": "getProof", "summary": "A proof's state, score and decision",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json("ProofStatus", "The proof."), "401": UNAUTHORIZED,
                              "404": _json("Error", "No proof with this id.")},
            }},
            **_campaign_paths(),
            **_dispute_path(),
            "/api/v1/proofs/{id}/appeal": {"post": {
                "operationId": "postAppeal", "summary": "Appeal the rejection of a proof (for the worker client)",
                "description": "Body: {\"message\": \"why the rejection is wrong\"} (1 to 2000 characters). "
                               "A senior moderator upholds (the proof is approved and paid) or denies it. "
                               "Repeating the same appeal answers 200 with the stored one.",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["message"],
                    "properties": {"message": {"type": "string", "minLength": 1, "maxLength": 2000}}}}}},
                "responses": {"201": _json("Appeal", "The appeal is filed."),
                              "200": _json("Appeal", "The same appeal was filed before."), "401": UNAUTHORIZED,
                              "404": _json("Error", "No proof with this id."),
                              "409": _json("Error", "The proof is not rejected, or was appealed with another "
                                                    "message."),
                              "422": _json("Error", "No message, or a message longer than 2000 characters.")},
            }},
            "/api/v1/workers/{id}": {"get": {
                "operationId": "getWorker", "summary": "A worker's standing: may they take tasks, and why not",
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": _json("WorkerStanding", "The worker's standing."), "401": UNAUTHORIZED,
                              "404": _json("Error", "No worker with this id.")},
            }},
            "/api/v1/openapi.json": {"get": {
                "operationId": "getOpenApi", "summary": "This document", "security": [],
                "responses": {"200": {"description": "The OpenAPI document.",
                                      "content": {"application/json": {"schema": {"type": "object"}}}}},
            }},
        },
        "components": {
            "securitySchemes": {"bearerToken": {
                "type": "http", "scheme": "bearer",
                "description": "A token from `flask --app app api-tokens create NAME`, sent as "
                               "`Authorization: Bearer wb_...`."}},
            "schemas": {
                "Proof": PROOF, "Device": DEVICE, "Error": ERROR, "ItemProblem": ITEM_PROBLEM,
                "ItemErrors": ITEM_ERRORS, "IngestItem": INGEST_ITEM, "IngestResult": INGEST_RESULT,
                "ProofStatus": PROOF_STATUS, "Score": SCORE, "Signal": SIGNAL, "Decision": DECISION,
                "Campaign": CAMPAIGN, "BriefChange": BRIEF_CHANGE, "Finding": FINDING,
                "CampaignStatus": CAMPAIGN_STATUS,
                "WorkerStanding": WORKER_STANDING, "Appeal": APPEAL,
                "DisputeRequest": DISPUTE_BODY, "Dispute": DISPUTE, "DisputeErrors": {
                    "type": "object", "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}, "items": {
                        "type": "array", "items": {"type": "object", "required": ["proof_id", "problem"],
                                                   "properties": {"proof_id": {"type": "string"},
                                                                  "problem": {"type": "string"}}}}}},
            },
        },
    }

"""The OpenAPI 3.1 document of the JSON API, written by hand to say what the code does.

tests/intake/test_openapi.py holds it to that: real responses are validated against these schemas
and every /api/v1 route must appear here.
"""
from __future__ import annotations

from typing import Any

from app.intake import openapi_casework as casework
from app.intake.openapi_schemas import (
    APPEAL,
    DECISION,
    DEVICE,
    ERROR,
    ID,
    INGEST_ITEM,
    INGEST_RESULT,
    ITEM_ERRORS,
    ITEM_PROBLEM,
    PROOF,
    PROOF_STATUS,
    SCORE,
    SIGNAL,
    UNAUTHORIZED,
    WORKER_STANDING,
    _integer,
    _json,
    _ref,
    _text,
    _time,
)

CAMPAIGN = {
    "type": "object",
    "description": "One campaign, the `campaigns.jsonl` line of the exchange format. Unknown keys are ignored.",
    "required": ["id", "brand_id", "room_id", "action", "reward_cents", "budget_cents"],
    "properties": {
        "id": ID, "brand_id": {**ID, "description": "Must name a stored brand (else 422, field brand_id)."},
        "room_id": {**ID, "description": "Must name a stored room (else 422, field room_id)."},
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
            "422": _json("ItemErrors", "Some items are invalid (validation), one entry per invalid item: a field "
                                       "that breaks the Proof schema, an id repeated in the batch, a campaign_id or "
                                       "worker_id that names no stored campaign or worker, or a campaign that cannot "
                                       "take (pay for) another completion. Nothing was stored."),
        },
    }


FORBIDDEN = _json("Error", "The token lacks the scope this operation needs (insufficient_scope): `ingest` to send "
                           "proofs, campaigns and appeals, `read` to ask for their state.", {
    "WWW-Authenticate": {"schema": {"type": "string"},
                         "description": 'Bearer realm="workbench-api", error="insufficient_scope", scope="..."'}})
RATE_LIMITED = _json("Error", "Too many requests for this token (rate_limited, API_RATE_LIMIT); wait and retry.", {
    "Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait before retrying."}})


def _with_common_responses(paths: dict[str, Any]) -> dict[str, Any]:
    """Every operation that needs a token may also answer 403 (scope) and 429 (rate limit)."""
    for operations in paths.values():
        for operation in operations.values():
            if operation.get("security") != []:
                operation["responses"].setdefault("403", FORBIDDEN)
                operation["responses"].setdefault("429", RATE_LIMITED)
    return paths


def document(max_batch: int, max_body: int) -> dict[str, Any]:
    """The OpenAPI 3.1 document, with this deployment's limits filled in."""
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "Review workbench API", "version": "1",
                 "description": "Machine clients push proofs and read their review state, and create "
                                "campaigns (screened by compliance before they go live). See docs/api.md."},
        "security": [{"bearerToken": []}],
        "paths": _with_common_responses({
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
            **casework.paths(_json, UNAUTHORIZED),
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
        }),
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
                "WorkerStanding": WORKER_STANDING, "Appeal": APPEAL, **casework.SCHEMAS,
                "DisputeRequest": DISPUTE_BODY, "Dispute": DISPUTE, "DisputeErrors": {
                    "type": "object", "required": ["error", "message"],
                    "properties": {"error": {"type": "string"}, "message": {"type": "string"}, "items": {
                        "type": "array", "items": {"type": "object", "required": ["proof_id", "problem"],
                                                   "properties": {"proof_id": {"type": "string"},
                                                                  "problem": {"type": "string"}}}}}},
            },
        },
    }

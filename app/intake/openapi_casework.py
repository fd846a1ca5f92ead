"""OpenAPI parts for the worker client's side of moderation: the reject-reason messages and the
answer to a moderator's question (request more information). Merged by openapi.document()."""
from __future__ import annotations

from typing import Any

WORKER_MESSAGE = {
    "type": ["object", "null"], "required": ["en", "zh_CN"], "additionalProperties": False,
    "description": "What the worker's app shows for this rejection, per language (null unless rejected).",
    "properties": {"en": {"type": "string"}, "zh_CN": {"type": "string"}},
}

INFO_REQUEST = {
    "type": "object",
    "required": ["id", "question", "status", "asked_at", "due_at", "answer", "answered_at"],
    "properties": {
        "id": {"type": "integer"}, "proof_id": {"type": "string"},
        "question": {"type": "string", "description": "The moderator's question, shown to the worker as written."},
        "status": {"type": "string", "enum": ["open", "answered", "expired", "closed"],
                   "description": "open: waiting for the answer (the proof is out of the review queue until it "
                                  "comes or `due_at` passes); closed: decided before an answer came."},
        "asked_at": {"type": "string", "format": "date-time"},
        "due_at": {"type": "string", "format": "date-time"},
        "answer": {"type": ["string", "null"]},
        "answered_at": {"type": ["string", "null"], "format": "date-time"},
    },
}

REJECT_REASONS = {
    "type": "object", "required": ["reasons"], "additionalProperties": False,
    "properties": {"reasons": {"type": "array", "items": {
        "type": "object", "required": ["code", "message"], "additionalProperties": False,
        "properties": {"code": {"type": "string"}, "message": {**WORKER_MESSAGE, "type": "object"}}}}},
}

SCHEMAS = {"WorkerMessage": WORKER_MESSAGE, "InfoRequest": INFO_REQUEST, "RejectReasons": REJECT_REASONS}


def paths(json_response: Any, unauthorized: dict) -> dict[str, Any]:
    path_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    return {
        "/api/v1/proofs/{id}/info": {"post": {
            "operationId": "postInfoAnswer",
            "summary": "Answer a moderator's question about a proof (for the worker client)",
            "description": "Body: {\"answer\": \"...\"} (1 to 4000 characters). The proof returns to the review "
                           "queue. Sending the same answer again answers 200 with the stored one. The open "
                           "question is in `info_request` of GET /api/v1/proofs/{id}.",
            "parameters": path_id,
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["answer"],
                "properties": {"answer": {"type": "string", "minLength": 1, "maxLength": 4000}}}}}},
            "responses": {
                "201": json_response("InfoRequest", "The answer is stored; the proof is back in the queue."),
                "200": json_response("InfoRequest", "The same answer was stored before."),
                "400": json_response("Error", "Malformed JSON."), "401": unauthorized,
                "404": json_response("Error", "No proof with this id."),
                "409": json_response("Error", "No question is open for this proof (never asked, already "
                                              "answered differently, expired, or the proof was decided)."),
                "415": json_response("Error", "Content-Type is not application/json."),
                "422": json_response("Error", "No answer, or one longer than 4000 characters."),
            }}},
        "/api/v1/reject-reasons": {"get": {
            "operationId": "getRejectReasons", "summary": "The reject reasons in use and their messages to workers",
            "responses": {"200": json_response("RejectReasons", "Every reason moderators may pick now."),
                          "401": unauthorized}}},
    }

"""Reading request bodies and writing error bodies for the JSON API.

Every error the API writes is `{"error": CODE, "message": TEXT}`, plus `items` when the
problem is in particular items of a batch (see docs/api.md).
"""
from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from app.intake.services import records

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
# Slugs for the HTTP errors Werkzeug raises inside API views (its names have spaces).
HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 404: "not_found", 405: "method_not_allowed",
    413: "payload_too_large", 415: "unsupported_media_type", 429: "rate_limited",
}


class BodyError(Exception):
    """The request body cannot be read as a proof or a batch of proofs."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def api_error(status: int, code: str, message: str, **extra: Any) -> Response:
    response = jsonify({"error": code, "message": message, **extra})
    response.status_code = status
    return response


def http_error(exc: HTTPException) -> Response:
    """Werkzeug's HTTP errors (413 from the body limit, 405, ...) in the API's error shape."""
    status = exc.code or 500
    message = exc.description or ""
    if status == 413:
        limit = request.max_content_length
        message = f"the body is larger than {limit} bytes: send fewer proofs per request"
    response = api_error(status, HTTP_CODES.get(status, "error"), message)
    for name, value in exc.get_headers():
        if name in ("Allow", "Retry-After"):  # keep headers that tell the client what to do
            response.headers[name] = value
    return response


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def read_json() -> Any:
    """The decoded JSON body; BodyError for a wrong content type, empty or malformed body."""
    request.max_content_length = current_app.config.get("API_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)
    if not request.is_json:
        sent = request.mimetype or "no Content-Type"
        raise BodyError(415, "unsupported_media_type", f"send Content-Type: application/json (got {sent})")
    raw = request.get_data(cache=False)  # raises RequestEntityTooLarge past the limit
    if not raw.strip():
        raise BodyError(400, "malformed_json", "the body is empty: send a proof object or an array of proofs")
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise BodyError(400, "malformed_json", "the body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise BodyError(400, "malformed_json", f"the body is not valid JSON: {exc.msg.removesuffix(' at')} "
                                               f"at line {exc.lineno} column {exc.colno}") from None
    except (ValueError, RecursionError) as exc:  # NaN, nesting deeper than Python recurses, a 5000-digit number
        raise BodyError(400, "malformed_json", f"the body is not valid JSON: {records.json_problem(exc)}") from None


def proof_items(body: Any) -> tuple[list[Any], bool]:
    """(items, single): one proof object becomes a batch of one; an array is a batch."""
    if isinstance(body, dict):
        return [body], True
    if isinstance(body, list):
        return body, False
    kind = "null" if body is None else "a boolean" if isinstance(body, bool) else \
        "a string" if isinstance(body, str) else "a number"
    raise BodyError(400, "bad_request", f"the body must be a proof object or an array of proof objects, not {kind}")

"""Bad input: every invalid item named by index, id and field; bodies refused with clear codes."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import Proof, db
from tests import factories as f


def _count_proofs() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Proof))


def _without(key: str, **kw: object) -> dict:
    return {k: v for k, v in f.proof(**kw).items() if k != key}


@pytest.mark.parametrize(("item", "field", "problem"), [
    (f.proof(id="x", submitted_at="not a time"), "submitted_at", "is not an ISO 8601 time"),
    (f.proof(id="x", accepted_at="2026-10-01T20:00:00"), "accepted_at", "has no UTC offset"),
    (f.proof(id="x", ip="999.1.1.1"), "ip", "is not an IPv4 or IPv6 address"),
    (_without("worker_id", id="x"), "worker_id", "is required"),
    (f.proof(id="x", campaign_id="c404"), "campaign_id", "'c404' is not a known campaign"),
    (f.proof(id="x", worker_id="w404"), "worker_id", "'w404' is not a known worker"),
    (f.proof(id="x", device=f.device(screen="big")), "device.screen", "is not WIDTHxHEIGHT"),
    (f.proof(id="x", device="iPhone"), "device", "must be an object"),
    (f.proof(id="x", watch_seconds=-5), "watch_seconds", "must be at least 0"),
    (f.proof(id="x", screenshot_phash="xyz"), "screenshot_phash", "is not 16 hex digits"),
])
def test_each_invalid_field_is_named(api, item, field, problem):
    response = api.post([f.proof(id="ok"), item])
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "validation"
    [entry] = body["items"]
    assert (entry["index"], entry["id"], entry["field"]) == (1, "x", field)
    assert problem in entry["problem"]
    assert _count_proofs() == 0  # all or nothing: the valid item was not stored either


def test_every_bad_item_of_a_batch_is_listed(api):
    response = api.post([f.proof(id="a", ip="nope"), "not an object", f.proof(id="b"), f.proof(id="b"),
                         {"id": ["weird"]}])
    assert response.status_code == 422
    assert [(p["index"], p["id"], p["field"]) for p in response.get_json()["items"]] == [
        (0, "a", "ip"), (1, None, "item"), (3, "b", "id"), (4, None, "id")]


def test_batch_over_the_limit_is_refused(api, app):
    app.config["API_MAX_BATCH"] = 3
    response = api.post([f.proof(id=f"p{i}") for i in range(4)])
    assert response.status_code == 413
    assert response.get_json()["error"] == "batch_too_large" and "at most 3" in response.get_json()["message"]
    assert _count_proofs() == 0


def test_body_over_the_byte_limit_is_413_json(api, app):
    app.config["API_MAX_BODY_BYTES"] = 2048
    response = api.post(f.proof(comment_text="长" * 2000))
    assert response.status_code == 413
    assert response.get_json()["error"] == "payload_too_large"
    assert "2048 bytes" in response.get_json()["message"]


@pytest.mark.parametrize(("data", "code", "message"), [
    ('{"id": "p1", "campaign', "malformed_json", "line 1 column"),
    ("", "malformed_json", "empty"),
    ('{"id": NaN}', "malformed_json", "NaN"),
    (b'{"id": "\xff"}', "malformed_json", "UTF-8"),
    ("[]", "empty_batch", "empty"),
    ('"just a string"', "bad_request", "not a string"),
    ("42", "bad_request", "not a number"),
])
def test_unreadable_bodies_are_400(api, data, code, message):
    response = api.post_raw(data)
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == code and message in body["message"]


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_wrong_content_type_is_415(api, content_type):
    response = api.post_raw('{"id": "p1"}', content_type=content_type)
    assert response.status_code == 415
    assert response.get_json()["error"] == "unsupported_media_type"


def test_json_with_charset_is_accepted(api):
    import json

    response = api.post_raw(json.dumps(f.proof()), content_type="application/json; charset=utf-8")
    assert response.status_code == 202


def test_wrong_method_answers_json(api):
    response = api.client.delete("/api/v1/proofs", headers=api.headers())
    assert response.status_code == 405
    assert response.get_json()["error"] and response.get_json()["message"]

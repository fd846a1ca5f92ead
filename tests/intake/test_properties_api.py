"""Property tests for the API's validators: whatever a client sends, the answer is a stored record or a
clear error naming the field, never a 500, and a refused request writes nothing."""
from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from models import Campaign, Proof, db
from tests.intake.strategies import JSON_VALUES, campaigns, proofs

BOUNDED = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                           HealthCheck.too_slow])
CLIENT_ERRORS = {400, 409, 413, 415, 422}


def _count(model: type) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _post(api, path: str, body: Any):  # noqa: ANN001, ANN202
    # ASCII-escaped JSON: lone surrogates travel as \ud800, as a real client's encoder may send them.
    return api.client.post(path, data=json.dumps(body), content_type="application/json", headers=api.headers())


def _assert_clear_error(response) -> dict:  # noqa: ANN001
    assert response.status_code in CLIENT_ERRORS, (response.status_code, response.get_data(as_text=True)[:500])
    body = response.get_json()
    assert isinstance(body["error"], str) and body["error"] and isinstance(body["message"], str) and body["message"]
    for item in body.get("items", []):
        assert isinstance(item["field"], str) and item["field"], item
        assert isinstance(item["problem"], str) and item["problem"], item
    return body


@BOUNDED
@given(item=proofs())
def test_one_proof_is_stored_or_refused_naming_the_field(api, item):
    before = _count(Proof)
    response = _post(api, "/api/v1/proofs", item)
    if response.status_code == 202:
        assert response.get_json()["accepted"] + response.get_json()["duplicate"] == 1
        assert _count(Proof) == before + response.get_json()["accepted"]
        assert db.session.get(Proof, str(item["id"])) is not None
    else:
        body = _assert_clear_error(response)
        assert body["items"], body  # a bad proof is named by its field
        assert _count(Proof) == before


@BOUNDED
@given(items=st.lists(st.one_of(proofs(), proofs(), JSON_VALUES), min_size=0, max_size=6))
def test_a_batch_is_stored_whole_or_not_at_all(api, items):
    before = _count(Proof)
    response = _post(api, "/api/v1/proofs", items)
    if response.status_code == 202:
        body = response.get_json()
        assert len(body["items"]) == len(items)
        assert _count(Proof) == before + body["accepted"]
    else:
        _assert_clear_error(response)
        assert _count(Proof) == before


@settings(BOUNDED, max_examples=30)
@given(body=JSON_VALUES)
def test_any_json_body_is_answered_without_a_server_error(api, body):
    before = _count(Proof)
    response = _post(api, "/api/v1/proofs", body)
    if response.status_code != 202:
        _assert_clear_error(response)
        assert _count(Proof) == before


@settings(BOUNDED, max_examples=20)
@given(raw=st.binary(max_size=200))
def test_any_bytes_are_answered_without_a_server_error(api, raw):
    before = _count(Proof)
    response = api.post_raw(raw)
    if response.status_code != 202:
        _assert_clear_error(response)
        assert _count(Proof) == before


@settings(BOUNDED, max_examples=40)
@given(obj=st.one_of(campaigns(), JSON_VALUES))
def test_a_campaign_is_created_or_refused_naming_the_field(api, obj):
    before = _count(Campaign)
    response = _post(api, "/api/v1/campaigns", obj)
    if response.status_code == 201:
        assert _count(Campaign) == before + 1
        assert response.get_json()["id"] == str(obj["id"])
    else:
        body = _assert_clear_error(response)
        assert body["items"], body
        assert _count(Campaign) == before


@settings(BOUNDED, max_examples=20)
@given(brief=JSON_VALUES, wrap=st.booleans())
def test_a_brief_edit_is_stored_or_refused(api, brief, wrap):
    before = db.session.get(Campaign, "c1").brief
    response = api.client.patch("/api/v1/campaigns/c1", data=json.dumps({"brief": brief} if wrap else brief),
                                content_type="application/json", headers=api.headers())
    db.session.rollback()
    if response.status_code == 200:
        assert db.session.get(Campaign, "c1").brief == response.get_json()["brief"]
    else:
        _assert_clear_error(response)
        assert db.session.get(Campaign, "c1").brief == before

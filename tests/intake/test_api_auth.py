"""Bearer-token authentication and the `api-tokens` commands."""
from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.services.api_tokens import ApiTokenError, authenticate, create_token, revoke_token
from models import ApiClient, AuditEvent, Proof, db
from tests import factories as f


def _count_proofs() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Proof))


def test_missing_token_is_refused_with_a_challenge(client, seeded):
    response = client.post("/api/v1/proofs", json=f.proof())
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="workbench-api"'
    assert response.get_json()["error"] == "unauthorized"
    assert _count_proofs() == 0


def test_wrong_token_and_wrong_scheme_are_refused(client, token, seeded):
    for header in (f"Bearer {token}x", "Bearer wb_nope", f"Basic {token}", token):
        response = client.post("/api/v1/proofs", json=f.proof(), headers={"Authorization": header})
        assert response.status_code == 401, header
    wrong = client.get("/api/v1/proofs/p1", headers={"Authorization": "Bearer wb_nope"})
    assert 'error="invalid_token"' in wrong.headers["WWW-Authenticate"]
    assert _count_proofs() == 0


def test_revoked_token_is_refused(api):
    assert api.post(f.proof()).status_code == 202
    revoke_token(authenticate(api.token).id)
    db.session.commit()
    response = api.get("p1")
    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_only_a_hash_of_the_token_is_stored(app):
    client, token = create_token("crm")
    db.session.commit()
    assert token.startswith("wb_") and len(token) > 40
    stored = db.session.get(ApiClient, client.id)
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored.token_hash, stored.token_prefix) and token.startswith(stored.token_prefix)
    assert authenticate(token).id == client.id
    assert authenticate(stored.token_hash) is None  # the stored hash is not itself a credential


def test_openapi_document_needs_no_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.get_json()["openapi"].startswith("3.1")


def test_cli_creates_lists_and_revokes_tokens(client, runner, seeded):
    created = runner.invoke(args=["api-tokens", "create", "partner crm"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert token.startswith("wb_")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/proofs", json=f.proof(), headers=headers).status_code == 202

    listed = runner.invoke(args=["api-tokens", "list"])
    assert "partner crm" in listed.output and token[:12] in listed.output and token not in listed.output
    client_id = db.session.scalar(sa.select(ApiClient.id).where(ApiClient.name == "partner crm"))

    revoked = runner.invoke(args=["api-tokens", "revoke", str(client_id)])
    assert revoked.exit_code == 0, revoked.output
    assert client.get("/api/v1/proofs/p1", headers=headers).status_code == 401
    assert "revoked" in runner.invoke(args=["api-tokens", "list"]).output
    again = runner.invoke(args=["api-tokens", "revoke", str(client_id)])
    assert again.exit_code != 0 and "already revoked" in again.output
    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"api_token.created", "api_token.revoked"} <= actions


def test_cli_refuses_unknown_client_and_blank_name(runner):
    unknown = runner.invoke(args=["api-tokens", "revoke", "999"])
    assert unknown.exit_code != 0 and "no API client with id 999" in unknown.output
    blank = runner.invoke(args=["api-tokens", "create", "  "])
    assert blank.exit_code != 0 and "name" in blank.output


def _headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_read_only_token_cannot_send_and_an_ingest_only_token_cannot_read(client, seeded):
    _, reader = create_token("dashboard", scopes=("read",))
    _, sender = create_token("collector", scopes=("ingest",))
    db.session.commit()
    refused = client.post("/api/v1/proofs", json=f.proof(), headers=_headers(reader))
    assert refused.status_code == 403 and 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    assert _count_proofs() == 0
    assert client.post("/api/v1/proofs", json=f.proof(), headers=_headers(sender)).status_code == 202
    assert client.get("/api/v1/proofs/p1", headers=_headers(sender)).status_code == 403
    assert client.get("/api/v1/proofs/p1", headers=_headers(reader)).status_code == 200


def test_an_expired_token_is_refused_like_a_revoked_one(client, seeded):
    api_client, token = create_token("temp", expires_days=1)
    db.session.commit()
    assert client.get("/api/v1/proofs/p1", headers=_headers(token)).status_code == 404
    api_client.expires_at = api_client.created_at - timedelta(seconds=1)
    db.session.commit()
    response = client.get("/api/v1/proofs/p1", headers=_headers(token))
    assert response.status_code == 401 and 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_last_use_is_recorded_even_for_a_request_that_fails(client, seeded):
    api_client, token = create_token("crm")
    db.session.commit()
    assert api_client.last_used_at is None
    client.get("/api/v1/proofs/missing", headers=_headers(token))  # 404: the request still used the token
    db.session.expire_all()
    assert db.session.get(ApiClient, api_client.id).last_used_at is not None


def test_each_token_has_its_own_rate_limit(client, seeded, app):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    _, busy = create_token("busy")
    _, quiet = create_token("quiet")
    db.session.commit()
    codes = [client.get("/api/v1/proofs/p1", headers=_headers(busy)).status_code for _ in range(4)]
    assert codes[:3] == [404, 404, 404] and codes[3] == 429
    assert client.get("/api/v1/proofs/p1", headers=_headers(quiet)).status_code == 404


def test_a_known_prefix_cannot_spend_a_tokens_quota_and_bad_tokens_are_counted_by_address(client, seeded, app):
    app.config["API_RATE_LIMIT"] = "3 per minute"
    _, real = create_token("partner")
    db.session.commit()
    forged = [real[:12] + f"garbage{i}" for i in range(4)]  # the public prefix, shown to admins
    codes = [client.get("/api/v1/proofs/p1", headers=_headers(t)).status_code for t in forged]
    assert codes == [401, 401, 401, 429]  # counted against the address, so guessing is throttled too
    assert client.get("/api/v1/proofs/p1", headers=_headers(real)).status_code == 404  # its own quota


def test_bad_scopes_and_expiry_are_named():
    with pytest.raises(ApiTokenError, match="scopes"):
        create_token("x", scopes=("delete",))
    with pytest.raises(ApiTokenError, match="expires_days"):
        create_token("x", expires_days=0)

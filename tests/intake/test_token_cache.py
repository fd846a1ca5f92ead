"""API_TOKEN_CACHE_SECONDS: a token's client is read once per period, yet revocation in this process
and expiry take effect at once."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.auth.services import api_tokens
from app.auth.services.api_tokens import create_token, revoke_token
from models import ApiClient, db


@pytest.fixture()
def cached(app):  # noqa: ANN001, ANN201
    app.config["API_TOKEN_CACHE_SECONDS"] = 60
    api_tokens.forget_cached_clients()
    yield
    api_tokens.forget_cached_clients()


def _reads_of_api_clients(run) -> int:  # noqa: ANN001
    seen: list[str] = []
    listener = lambda conn, cursor, statement, *a: seen.append(statement)  # noqa: E731
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        run()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return sum("api_clients" in statement for statement in seen)


def _get(client, token: str):  # noqa: ANN001, ANN202
    return client.get("/api/v1/proofs/p1", headers={"Authorization": f"Bearer {token}"})


def test_a_cached_token_is_not_read_again(client, seeded, cached):
    _, token = create_token("crm")
    db.session.commit()
    assert _reads_of_api_clients(lambda: _get(client, token)) >= 1
    assert _reads_of_api_clients(lambda: _get(client, token)) == 0
    assert _get(client, token).status_code == 404  # authenticated: the proof is unknown


def test_revoking_in_this_process_takes_effect_at_once(client, seeded, cached):
    api_client, token = create_token("crm")
    db.session.commit()
    assert _get(client, token).status_code == 404
    revoke_token(api_client.id)
    db.session.commit()
    assert _get(client, token).status_code == 401


def test_expiry_is_checked_on_every_request_of_a_cached_token(client, seeded, cached, monkeypatch):
    api_client, token = create_token("crm", expires_days=1)
    db.session.commit()
    assert _get(client, token).status_code == 404
    later = api_client.expires_at + timedelta(seconds=1)
    monkeypatch.setattr(api_tokens, "utcnow", lambda: later)
    assert _get(client, token).status_code == 401


def test_a_cached_client_keeps_its_last_use_written_once_a_minute(client, seeded, cached, monkeypatch):
    api_client, token = create_token("crm")
    db.session.commit()
    _get(client, token)
    first = db.session.get(ApiClient, api_client.id).last_used_at
    later = first + timedelta(minutes=2)
    monkeypatch.setattr(api_tokens, "utcnow", lambda: later)
    assert _reads_of_api_clients(lambda: _get(client, token)) >= 1  # due: read and written
    db.session.expire_all()
    assert db.session.get(ApiClient, api_client.id).last_used_at == later

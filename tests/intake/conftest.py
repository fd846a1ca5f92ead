"""API fixtures: a stored world without proofs, a client token, and a JSON-posting helper."""
from __future__ import annotations

from typing import Any

import pytest

from app.auth.services.api_tokens import create_token
from models import db
from tests.stored import store_api_world


@pytest.fixture()
def seeded(app):  # noqa: ANN001, ANN201
    """Brand b1, room r1, campaign c1 and workers w1..w3 stored; no proofs yet."""
    store_api_world(app.extensions["pii"])
    db.session.commit()


@pytest.fixture()
def token(app) -> str:  # noqa: ANN001
    _, plaintext = create_token("partner-app")
    db.session.commit()
    return plaintext


class Api:
    """Calls the API as a machine client does."""

    def __init__(self, client, token: str) -> None:  # noqa: ANN001
        self.client, self.token = client, token

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def post(self, body: Any, **kw: Any):  # noqa: ANN201
        return self.client.post("/api/v1/proofs", json=body, headers=self.headers(), **kw)

    def post_raw(self, data: bytes | str, content_type: str = "application/json"):  # noqa: ANN201
        return self.client.post("/api/v1/proofs", data=data, content_type=content_type, headers=self.headers())

    def get(self, proof_id: str):  # noqa: ANN201
        return self.client.get(f"/api/v1/proofs/{proof_id}", headers=self.headers())


@pytest.fixture()
def api(client, token, seeded) -> Api:  # noqa: ANN001
    return Api(client, token)

"""API fixtures: a stored world without proofs, a client token, and a JSON-posting helper."""
from __future__ import annotations

from typing import Any

import pytest

from app.auth.services.api_tokens import create_token
from app.intake.services import evidence, records
from models import Brand, Campaign, Room, Worker, db
from tests import factories as f


@pytest.fixture()
def seeded(app):  # noqa: ANN001, ANN201
    """Brand b1, room r1, campaign c1 and workers w1..w3 stored; no proofs yet.

    Stored directly (not through `flask import`) so these tests depend only on the API's path.
    """
    vault = app.extensions["pii"]
    db.session.add(Brand(**evidence.brand_columns(records.parse_brand(f.brand()), vault)))
    db.session.add(Room(**records.parse_room(f.room())))
    db.session.flush()
    db.session.add(Campaign(**records.parse_campaign(f.campaign(), 0.15)))
    for i in range(1, 4):
        db.session.add(Worker(**evidence.worker_columns(records.parse_worker(
            f.worker(id=f"w{i}", phone=f"+86138001380{i:02d}")), vault)))
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

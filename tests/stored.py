"""A stored world without proofs for API tests: brand b1, room r1, campaign c1, workers w1..wN.

Stored directly (not through `flask import`) so the tests that use it depend only on the API's path."""
from __future__ import annotations

from app.intake.services import evidence, records
from app.platform.pii import PiiVault
from models import Brand, Campaign, Room, Worker, db
from tests import factories as f


def store_api_world(vault: PiiVault, workers: int = 3) -> None:
    """Add (not commit) the brand, room, campaign and `workers` workers of the factories."""
    db.session.add(Brand(**evidence.brand_columns(records.parse_brand(f.brand()), vault)))
    db.session.add(Room(**records.parse_room(f.room())))
    db.session.flush()
    db.session.add(Campaign(**records.parse_campaign(f.campaign(), 0.15)))
    for i in range(1, workers + 1):
        db.session.add(Worker(**evidence.worker_columns(records.parse_worker(
            f.worker(id=f"w{i}", phone=f"+86138001380{i:02d}")), vault)))

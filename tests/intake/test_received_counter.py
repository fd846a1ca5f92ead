"""campaigns.proofs_received: kept by the database on every insert, never lowered, and the reason intake
counts a campaign's live proofs only near its cap (models/proof.py, app/intake/services/single.py)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade

from app.intake.services import single
from models import Campaign, Proof, db
from tests import factories as f
from tests.intake.test_single_path import _statements
from tests.money import helpers as h
from tests.test_migrations import _app_on_file


def _received(campaign: str = "c1") -> int:
    return db.session.scalar(sa.select(Campaign.proofs_received).where(Campaign.id == campaign))


def test_every_insert_counts_and_a_rejection_does_not_lower_the_count(api):
    assert api.post(f.proof(id="a", worker_id="w1")).status_code == 202  # PostgreSQL: the short path
    assert api.post([f.proof(id="b", worker_id="w2"), f.proof(id="c", worker_id="w3")]).status_code == 202
    assert api.post(f.proof(id="a", worker_id="w1")).get_json()["items"][0]["status"] == "duplicate"
    assert _received() == 3
    db.session.execute(sa.insert(Proof).values(  # any other writer is counted too
        id="d", campaign_id="c1", worker_id="w1", accepted_at=h.T0, submitted_at=h.T0, ip_enc="x", ip_hash="h",
        ip_prefix_hash="p", ip_version=4, state="rejected", source="import"))
    db.session.commit()
    assert _received() == 4
    db.session.execute(sa.update(Proof).where(Proof.id == "a").values(state="rejected"))
    db.session.commit()
    assert _received() == 4  # an upper bound of the live proofs, never below it


def test_the_count_of_live_proofs_decides_only_near_the_cap(api, app):
    campaign = db.session.get(Campaign, "c1")
    campaign.max_completions = 3
    db.session.commit()
    for pid, worker in (("a", "w1"), ("b", "w2"), ("c", "w3")):
        assert api.post(f.proof(id=pid, worker_id=worker)).status_code == 202
    full = api.post(f.proof(id="d", worker_id="w1"))
    assert full.status_code == 422 and "full" in full.get_json()["items"][0]["problem"]
    # A rejection frees its slot although three proofs stay stored: the exact count finds it.
    db.session.execute(sa.update(Proof).where(Proof.id == "a").values(state="rejected"))
    db.session.commit()
    assert api.post(f.proof(id="d", worker_id="w1")).status_code == 202
    assert api.post([f.proof(id="e", worker_id="w2")]).status_code == 422
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proof).where(Proof.state != "rejected")) == 3


def test_the_short_path_counts_nothing_far_below_the_cap(api, app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the short path is PostgreSQL's (test_single_path)")
    assert api.post(f.proof(id="warm")).status_code == 202
    vault = app.extensions["pii"]
    far = _statements(lambda: single.ingest_single(f.proof(id="p1"), vault, None))
    db.session.commit()
    assert not any("count(" in s for s in far), far
    db.session.get(Campaign, "c1").max_completions = 2
    db.session.commit()
    near = _statements(lambda: single.ingest_single(f.proof(id="p2"), vault, None))
    db.session.rollback()
    assert any("count(" in s for s in near), near


def test_the_migration_counts_the_proofs_already_stored_and_installs_the_trigger(tmp_path):
    app = _app_on_file(tmp_path)
    with app.app_context():
        upgrade(revision="0222")
        proof = ("INSERT INTO proofs (id, campaign_id, worker_id, accepted_at, submitted_at, ip_enc, ip_hash,"
                 " ip_prefix_hash, ip_version, device_present, state, source, ingested_at, state_changed_at)"
                 " VALUES (:id, :campaign, 'w1', :t, :t, 'x', 'h', 'p', 4, 0, :state, 'import', :t, :t)")
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO campaigns (id, brand_id, room_id, action, reward_cents, budget_cents, commission_rate,"
                " status, imported_at) VALUES (:id, 'b1', 'r1', 'comment', 100, 10000, 0.15, 'active', :t)"),
                [{"id": c, "t": "2026-10-01 12:00:00"} for c in ("c1", "c2", "c3")])
            conn.execute(sa.text(proof), [{"id": f"p{n}", "campaign": "c1" if n < 3 else "c2", "state": state,
                                           "t": "2026-10-01 12:00:00"}
                                          for n, state in enumerate(("in_review", "rejected", "approved", "settled"))])
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(sa.text(proof), {"id": "p9", "campaign": "c3", "state": "received",
                                          "t": "2026-10-02 12:00:00"})
            counts = dict(conn.execute(sa.text("SELECT id, proofs_received FROM campaigns")).all())
    assert counts == {"c1": 3, "c2": 1, "c3": 1}


def test_an_import_adds_its_proofs_once_whether_or_not_it_deferred_them(runner, world):
    path = world.basic(proofs=3).write()
    assert runner.invoke(args=["import", str(path), "--no-score"]).exit_code == 0
    assert _received() == 3
    assert runner.invoke(args=["import", str(path), "--no-score"]).exit_code == 0  # nothing new
    assert _received() == 3
    # The deferral ended with the import's transaction: any later insert counts again as it goes.
    db.session.execute(sa.insert(Proof).values(
        id="late", campaign_id="c1", worker_id="w1", accepted_at=h.T0, submitted_at=h.T0, ip_enc="x", ip_hash="h",
        ip_prefix_hash="p", ip_version=4, state="received", source="api"))
    db.session.commit()
    assert _received() == 4

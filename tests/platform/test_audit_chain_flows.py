"""After import, score, settle and staff actions the log verifies; one altered row makes verify fail."""
from __future__ import annotations

import sqlalchemy as sa

from app.review.services.decisions import decide
from models import AuditEvent, Proof, db
from scripts.simulate import SimulationOptions, generate_world


def test_a_day_of_work_verifies_and_tampering_is_named(app, runner, client, auth, staff, tmp_path):
    world = generate_world(tmp_path / "world", SimulationOptions(proofs=400, workers=80, campaigns=4, seed=3))
    assert runner.invoke(args=["import", world["out_dir"]]).exit_code == 0
    assert runner.invoke(args=["score", "--all"]).exit_code == 0
    moderator = staff("moderator")
    for proof in db.session.scalars(sa.select(Proof).where(Proof.state.in_(("scored", "in_review"))).limit(5)):
        decide(proof, "approved", actor=moderator)
    db.session.commit()
    staff("compliance")
    auth.login("compliance@example.test")
    brand_id = db.session.scalar(sa.text("SELECT id FROM brands WHERE kyc_status = 'verified' LIMIT 1"))
    assert client.post(f"/compliance/brands/{brand_id}/kyc",
                       data={"target": "suspended", "reason": "colludes with a ring"}).status_code == 302
    assert runner.invoke(args=["settle"]).exit_code == 0

    kinds = set(db.session.scalars(sa.select(AuditEvent.action).distinct()))
    assert {"world.import", "proof.approved", "brand.kyc_changed", "staff.login"} <= kinds
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    total = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    assert f"verified: {total} events" in ok.output

    victim = db.session.scalar(sa.select(AuditEvent.id).where(AuditEvent.action == "brand.kyc_changed"))
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET reason = 'routine check' WHERE id = :id"), {"id": victim})
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1 and f"event {victim}" in broken.output

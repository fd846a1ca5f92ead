"""`flask demo-activity` fills the cases list and the relief page of the demo world, once."""
from __future__ import annotations

import sqlalchemy as sa

from models import CaseItem, ComplianceCase, ProofScore, SignalMute, db


def test_demo_activity_opens_one_case_and_one_mute_and_refuses_outside_development(app, runner, world):
    assert runner.invoke(args=["import", str(world.basic(proofs=12).write())]).exit_code == 0
    assert runner.invoke(args=["brands", "refresh"]).exit_code == 0
    refused = runner.invoke(args=["demo-activity"])
    assert refused.exit_code != 0 and "development" in refused.output
    app.config["DEV_KEYS_FILE"] = True
    for _ in range(2):
        assert runner.invoke(args=["demo-activity"]).exit_code == 0
    case = db.session.scalar(sa.select(ComplianceCase))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ComplianceCase)) == 1 and case.status == "open"
    kinds = sorted(db.session.scalars(sa.select(CaseItem.kind).where(CaseItem.case_id == case.id)))
    assert "note" in kinds and kinds.count("proof") >= 1
    mutes = db.session.scalars(sa.select(SignalMute)).all()
    assert len(mutes) == 1 and mutes[0].entity_kind == "worker"
    muted = [s for (signals,) in db.session.execute(sa.select(ProofScore.signals)) for s in signals if s.get("muted")]
    assert muted and {s["code"] for s in muted} == {mutes[0].signal_code}

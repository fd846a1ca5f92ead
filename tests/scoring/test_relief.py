"""Entity-level relief through the database: mutes in force change the next score of their entity's
proofs only, expired and lifted ones change nothing, and every change is audited."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.scoring.services import relief
from app.scoring.services.scoring import compute_scores, score_proofs
from models import AuditEvent, Proof, ProofScore, SignalMute, db, utcnow
from tests import factories as f

FP = "device.shared_fingerprint"


@pytest.fixture()
def farm(runner, world):  # noqa: ANN001, ANN201
    """Five accounts on one handset (w1..w5), scored: each proof fires the shared fingerprint."""
    world.basic(proofs=0).add("workers", *(f.worker(id=f"w{i}", phone=f"+86138001380{i:02d}") for i in range(1, 7)))
    world.add("proofs", *(f.proof(id=f"p{i}", worker_id=f"w{i}", ip=f"117.136.{i}.1",
                                  screenshot_sha256=f"{i:064x}", comment_text=f"打卡{i}",
                                  device=f.device(fingerprint="fp-farm")) for i in range(1, 6)))
    result = runner.invoke(args=["import", str(world.write())])
    assert result.exit_code == 0, result.output
    return [f"p{i}" for i in range(1, 6)]


def _codes(scores, pid: str) -> dict[str, dict]:  # noqa: ANN001
    row = scores.set_index("proof_id").loc[pid]
    return {s["code"]: s for s in row["signals"]}


def _mute(code: str, kind: str, value: str, hours: int = 24, **kw) -> SignalMute:  # noqa: ANN003
    mute = relief.create_mute(signal_code=code, entity_kind=kind, entity_value=value, hours=hours,
                              reason="known family handset", actor=None, **kw)
    db.session.commit()
    return mute


def test_a_muted_signal_no_longer_counts_for_its_worker(farm):
    before = compute_scores(["p1", "p2"])
    assert FP in before.set_index("proof_id").loc["p1", "reasons"].split(";")
    mute = _mute(FP, "worker", "w1")
    after = compute_scores(["p1", "p2"]).set_index("proof_id")
    assert FP not in after.loc["p1", "reasons"].split(";")
    assert _codes(after.reset_index(), "p1")[FP]["muted"] == mute.id
    assert after.loc["p1", "rule_score"] < before.set_index("proof_id").loc["p1", "rule_score"]
    assert FP in after.loc["p2", "reasons"].split(";") and "muted" not in _codes(after.reset_index(), "p2")[FP]


def test_expired_and_lifted_mutes_are_ignored(farm):
    past = utcnow() - timedelta(hours=30)
    _mute(FP, "worker", "w1", hours=24, now=past)  # expired six hours ago
    lifted = _mute(FP, "worker", "w2")
    relief.lift_mute(lifted.id, actor=None, reason="not family after all")
    db.session.commit()
    scores = compute_scores(["p1", "p2"]).set_index("proof_id")
    assert FP in scores.loc["p1", "reasons"].split(";") and FP in scores.loc["p2", "reasons"].split(";")


def test_a_device_mute_covers_every_account_on_it_and_rescoring_stores_it(farm):
    proof = db.session.get(Proof, "p3")
    mute = relief.mute_from_proof("p3", signal_code=FP, entity_kind="device", hours=48, reason="shared tablet",
                                  actor=None)
    db.session.commit()
    assert mute.entity_value == proof.device_fp_hash and mute.source_proof_id == "p3"
    ids = relief.undecided_proof_ids(mute, hold_hours=72)
    assert set(ids) == set(farm)  # all five waiting proofs share the handset
    score_proofs(ids)
    db.session.commit()
    for pid in farm:
        stored = db.session.get(ProofScore, pid)
        assert FP not in stored.reasons.split(";")
        assert [s["muted"] for s in stored.signals if s["code"] == FP] == [mute.id]


def test_create_and_lift_write_audit_rows_in_the_same_transaction(farm, staff):
    moderator = staff("moderator")
    mute = relief.mute_from_proof("p1", signal_code=relief.ALLOWLIST, entity_kind="worker", hours=24,
                                  reason="verified household", actor=moderator)
    event = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.object_type == "signal_mute"))
    assert (event.action, event.object_id, event.actor_id) == ("relief.allowlisted", str(mute.id), moderator.id)
    assert event.data["entity"] == "w1" and event.reason == "verified household"
    db.session.rollback()  # the mute and its audit row go together
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SignalMute)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.object_type == "signal_mute")) == 0
    mute = relief.mute_from_proof("p1", signal_code=FP, entity_kind="address", hours=24, reason="home line",
                                  actor=moderator)
    relief.lift_mute(mute.id, actor=moderator, reason="ring confirmed")
    db.session.commit()
    actions = list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.object_type == "signal_mute")
                                      .order_by(AuditEvent.id)))
    assert actions == ["relief.muted", "relief.lifted"]
    with pytest.raises(relief.ReliefError):
        relief.lift_mute(mute.id, actor=moderator, reason="again")


@pytest.mark.parametrize("kw, message", [
    ({"signal_code": "no.such"}, "unknown signal"), ({"entity_kind": "brand"}, "unknown entity kind"),
    ({"hours": 0}, "from 1 hour"), ({"reason": "  "}, "say why")])
def test_bad_mutes_are_refused_naming_the_problem(farm, kw, message):
    given = {"signal_code": FP, "entity_kind": "worker", "entity_value": "w1", "hours": 24, "reason": "r",
             "actor": None, **kw}
    with pytest.raises(relief.ReliefError, match=message):
        relief.create_mute(**given)


def test_lists_by_state(farm):
    active = _mute(FP, "worker", "w1")
    expired = _mute(FP, "worker", "w2", hours=1, now=utcnow() - timedelta(hours=2))
    assert [m.id for m in relief.list_mutes(relief.MuteFilters("active"))] == [active.id]
    assert [m.id for m in relief.list_mutes(relief.MuteFilters("expired"))] == [expired.id]
    assert {m.id for m in relief.list_mutes(relief.MuteFilters("all"))} == {active.id, expired.id}
    assert [m.id for m in relief.mutes_for_proof(db.session.get(Proof, "p1"))] == [active.id]


def _muted_codes(pid: str) -> list[str]:
    db.session.expire_all()
    return [s["code"] for s in db.session.get(ProofScore, pid).signals if "muted" in s]


def test_when_a_mute_expires_the_reconciler_rescores_the_waiting_proofs_it_shaped(farm):
    from app.admin.jobs import reconcile
    from app.admin.services import reconcile as reconciling

    mute = _mute(FP, "worker", "w1", hours=1)
    score_proofs(["p1"])  # scored while the mute is in force: the signal left out
    db.session.commit()
    assert _muted_codes("p1") == [FP] and db.session.get(Proof, "p1").state in relief.WAITING_STATES
    assert relief.ended_relief_ids(utcnow(), 72) == []  # still in force: nothing owed
    # two hours on: the mute ran out an hour ago, nobody lifted it
    stored = db.session.get(ProofScore, "p1")
    mute.created_at, mute.expires_at = mute.created_at - timedelta(hours=2), mute.expires_at - timedelta(hours=2)
    stored.scored_at -= timedelta(hours=2)
    db.session.commit()
    untouched = db.session.get(ProofScore, "p2").scored_at
    assert relief.ended_relief_ids(utcnow(), 72) == ["p1"]
    assert reconciling.backlog(utcnow(), 72).relieved
    assert "ended relief rescore queued" in reconcile()
    assert _muted_codes("p1") == [] and FP in db.session.get(ProofScore, "p1").reasons.split(";")
    assert db.session.get(ProofScore, "p2").scored_at == untouched  # another worker's proof is left alone
    assert relief.ended_relief_ids(utcnow(), 72) == [] and not reconciling.backlog(utcnow(), 72).relieved


def test_a_lift_whose_rescore_was_lost_is_found_and_decided_proofs_are_not(farm):
    mute = _mute(FP, "device", db.session.get(Proof, "p1").device_fp_hash, hours=24)
    score_proofs(list(farm))
    db.session.commit()
    relief.lift_mute(mute.id, actor=None, reason="a farm after all")
    db.session.commit()  # and then the process died before queueing the rescore
    db.session.execute(sa.update(Proof).where(Proof.id == "p5").values(state="rejected"))  # decided meanwhile
    db.session.commit()
    assert relief.ended_relief_ids(utcnow(), 72) == ["p1", "p2", "p3", "p4"]
    assert relief.ended_relief_ids(utcnow(), 72, limit=1) == ["p1"]
    # a mute that ended longer ago than the look-back is not read again
    later = utcnow() + relief.ENDED_LOOKBACK + timedelta(hours=1)
    assert relief.ended_relief_ids(later, 72) == []


def test_a_proof_whose_rescore_fails_alone_is_audited_once_not_retried_every_tick(farm, monkeypatch):
    from app.admin import jobs as admin_jobs
    from app.admin.jobs import reconcile
    from app.admin.services import reconcile as reconciling
    from app.scoring import jobs as scoring_jobs

    mute = _mute(FP, "worker", "w1", hours=24)
    score_proofs(["p1"])
    db.session.commit()
    relief.lift_mute(mute.id, actor=None, reason="not family")
    db.session.commit()
    real = scoring_jobs.score_proofs

    def failing(ids, **kw):  # noqa: ANN001, ANN003, ANN202 - this proof's data breaks scoring
        if "p1" in ids:
            raise ValueError("bad evidence")
        return real(ids, **kw)
    monkeypatch.setattr(scoring_jobs, "score_proofs", failing)
    assert "ended relief rescore queued" in reconcile()
    assert admin_jobs.rescore_relieved() == 0  # nothing left to try
    events = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == relief.RESCORE_FAILED)))
    assert [(e.object_id, e.data["error"]) for e in events] == [("p1", "ValueError: bad evidence")]
    assert _muted_codes("p1") == [FP]  # its score stays as it was; a person decides it
    assert not reconciling.backlog(utcnow(), 72).relieved and reconcile() == "nothing owed"


def test_two_proofs_left_that_both_fail_are_set_aside_not_retried_for_ever(farm, monkeypatch):
    from app.admin import jobs as admin_jobs
    from app.admin.services import reconcile as reconciling
    from app.scoring import jobs as scoring_jobs

    mute = _mute(FP, "device", db.session.get(Proof, "p1").device_fp_hash, hours=24)
    score_proofs(list(farm))
    db.session.commit()
    relief.lift_mute(mute.id, actor=None, reason="a farm after all")
    db.session.execute(sa.update(Proof).where(Proof.id.in_(["p3", "p4", "p5"])).values(state="rejected"))
    db.session.commit()
    assert relief.ended_relief_ids(utcnow(), 72) == ["p1", "p2"]

    def failing(ids, **kw):  # noqa: ANN001, ANN003, ANN202 - both proofs' data breaks scoring
        raise ValueError("bad evidence")
    monkeypatch.setattr(scoring_jobs, "score_proofs", failing)
    assert admin_jobs.rescore_relieved() == 0
    failed = sorted(db.session.scalars(sa.select(AuditEvent.object_id).where(
        AuditEvent.action == relief.RESCORE_FAILED)))
    assert failed == ["p1", "p2"] and not reconciling.backlog(utcnow(), 72).relieved

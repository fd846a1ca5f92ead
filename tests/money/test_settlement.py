"""Settlement: only approved proofs pay, once, with the hold window and flags respected."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.money.jobs import enqueue_settlement, run_settlement
from app.money.services import holds
from app.money.services.settlement import commission_cents, settle_chunk
from app.money.services.verify import verify
from models import AuditEvent, FraudFlag, LedgerEntry, ReviewDecision, db, utcnow
from tests import factories as f
from tests.money import helpers as h


def last_line(output: str) -> str:
    return output.strip().splitlines()[-1]


@pytest.mark.parametrize("reward, rate, commission", [
    (100, 0.15, 15), (10, 0.15, 2), (1, 0.5, 1), (3, 0.5, 2), (100, 0.145, 15), (7, 0.0, 0), (7, 1.0, 7),
    (33, 0.3, 10), (25, 0.1, 3), (1005, 0.015, 15), (99, 0.125, 12), (1, 0.49, 0),
])
def test_commission_rounds_half_up_on_the_written_rate(reward, rate, commission):
    assert commission_cents(reward, rate) == commission


def test_settle_pays_worker_and_platform_from_escrow(app, runner):
    h.world()
    h.proof("p1"), h.proof("p2", worker="w2")
    h.approve("p1"), h.approve("p2")
    db.session.commit()
    result = runner.invoke(args=["settle"])
    assert result.exit_code == 0, result.output
    assert last_line(result.output) == "settled 2 proofs, 170 cents to workers, 30 cents commission"
    assert h.state("p1") == h.state("p2") == "settled"
    assert h.balance("worker_payable:w1") == 85 and h.balance("platform_revenue") == 30
    assert h.balance("brand_escrow:b1:c1") == 100_000 - 200
    assert verify().ok


def test_second_run_settles_nothing_and_says_so(app, runner):
    h.world()
    h.proof("p1")
    h.approve("p1")
    db.session.commit()
    runner.invoke(args=["settle"])
    again = runner.invoke(args=["settle"])
    assert again.exit_code == 0
    assert last_line(again.output) == "settled 0 proofs, 0 cents to workers, 0 cents commission"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(LedgerEntry).where(
        LedgerEntry.kind == "settle")) == 1


def test_imported_decisions_settle_and_rejections_do_not(runner, world):
    path = world.basic(proofs=3).add("decisions", f.decision(proof_id="p1"),
                                     f.decision(proof_id="p2", decision="rejected", reason="fraud_bot")).write()
    assert runner.invoke(args=["import", str(path)]).exit_code == 0
    result = runner.invoke(args=["settle"])
    assert last_line(result.output) == "settled 1 proofs, 85 cents to workers, 15 cents commission"
    assert h.state("p1") == "settled" and h.state("p2") == "rejected"


def test_policy_approval_waits_out_the_hold_window(app):
    h.world()
    approved_at = utcnow() - timedelta(hours=2)
    h.proof("p1")
    h.approve("p1", kind="system", at=approved_at)
    db.session.commit()
    hold = app.config["SETTLEMENT_HOLD_HOURS"]
    early, _ = run_settlement(now=approved_at + timedelta(hours=hold) - timedelta(seconds=1))
    assert early.proofs == 0 and h.state("p1") == "approved"
    later, _ = run_settlement(now=approved_at + timedelta(hours=hold))
    assert later.proofs == 1 and h.state("p1") == "settled"


def test_human_approval_settles_at_once_even_inside_the_hold(app):
    h.world()
    h.proof("p1")
    h.approve("p1")
    db.session.commit()
    totals, _ = run_settlement(now=utcnow())
    assert totals.proofs == 1


def test_flag_during_hold_pulls_proof_back_into_review(app):
    h.world()
    h.proof("p1")
    h.approve("p1", kind="system", at=utcnow())
    holds.open_flag("w1", proof_id="p1", kind="ring", reason="shares a device with a rejected ring")
    db.session.commit()
    totals, _ = run_settlement(now=utcnow() + timedelta(days=30))
    assert totals.proofs == 0 and h.state("p1") == "in_review"


def test_open_flag_blocks_automatic_release_even_when_approved(app):
    h.world()
    h.proof("p1")
    h.approve("p1", kind="system", at=utcnow() - timedelta(days=3))
    db.session.add(FraudFlag(worker_id="w1", proof_id="p1", kind="manual", reason="x", opened_by="test"))
    db.session.commit()
    totals, _ = run_settlement(now=utcnow())
    assert totals.proofs == 0 and h.state("p1") == "approved"


def test_proof_whose_newest_decision_is_not_an_approval_never_settles(app):
    h.world()
    h.proof("p1")
    h.approve("p1")
    db.session.add(ReviewDecision(proof_id="p1", decision="rejected", reason_code="fraud_bot", actor_kind="system",
                                  decided_at=utcnow() + timedelta(minutes=1)))
    db.session.commit()
    totals, _ = run_settlement()
    assert totals.proofs == 0 and h.state("p1") == "approved"


def test_unfunded_campaign_and_short_escrow_are_skipped_and_reported(app, runner):
    h.world(campaigns={"c1": {"budget_cents": 100}, "c2": {}}, fund=False)
    from app.money.services.funding import fund_campaigns

    fund_campaigns(["c1"])
    for pid, campaign in (("p1", "c1"), ("p2", "c1"), ("p3", "c2")):
        h.proof(pid, campaign=campaign)
        h.approve(pid)
    db.session.commit()
    result = runner.invoke(args=["settle"])
    assert "not settled, escrow short: 1" in result.output
    assert "not settled, campaign not funded: 1" in result.output
    assert last_line(result.output) == "settled 1 proofs, 85 cents to workers, 15 cents commission"
    assert h.balance("brand_escrow:b1:c1") == 0


def test_chunks_commit_separately_and_cover_everything(app):
    h.world()
    for i in range(7):
        h.proof(f"p{i}", worker="w1" if i % 2 else "w2")
        h.approve(f"p{i}")
    db.session.commit()
    totals, _ = run_settlement(chunk_size=2)
    assert totals.proofs == 7
    audits = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "ledger.settle")).all()
    assert len(audits) == 4
    assert sorted(pid for a in audits for pid in a.data["proof_ids"]) == [f"p{i}" for i in range(7)]
    assert verify().ok


def test_settle_chunk_key_guard_refuses_a_second_settlement(app):
    """Even if a proof were offered twice, `settle:<proof>` lets only one entry through."""
    h.world()
    h.proof("p1")
    h.approve("p1")
    db.session.commit()
    first = settle_chunk(now=utcnow(), hold_hours=24, limit=10)
    db.session.commit()
    db.session.execute(sa.text("UPDATE proofs SET state = 'approved' WHERE id = 'p1'"))  # forge a stale state
    second = settle_chunk(now=utcnow(), hold_hours=24, limit=10)
    assert first.proofs == 1 and second.proofs == 0
    assert second.skipped == {"already in the ledger": 1}
    assert h.balance("worker_payable:w1") == 85


def test_settlement_job_runs_in_process_without_redis(app):
    h.world()
    h.proof("p1")
    h.approve("p1")
    db.session.commit()
    assert enqueue_settlement() is None
    assert h.state("p1") == "settled"


def test_queue_option_without_redis_settles_in_process(app, runner):
    h.world()
    h.proof("p1")
    h.approve("p1")
    db.session.commit()
    result = runner.invoke(args=["settle", "--queue"])
    assert result.exit_code == 0 and "in-process" in result.output
    assert h.state("p1") == "settled"

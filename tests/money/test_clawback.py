"""Clawback: a settled proof judged fraudulent gives everything back, even money already paid out."""
from __future__ import annotations

import io

import pytest

from app.money.jobs import run_settlement
from app.money.services import clawback, payouts
from app.money.services.verify import verify
from app.review.services.decisions import current_decision
from models import db
from tests.money import helpers as h


def settled(*pids: str, worker: str = "w1", reward: int = 100) -> None:
    for pid in pids:
        h.proof(pid, worker=worker)
        h.approve(pid)
    db.session.commit()
    run_settlement()


def test_clawback_mirrors_the_settlement(app):
    h.world()
    settled("p1")
    returned = clawback.claw_back("p1", reason_code="fraud_ring", note="ring 7 found later")
    db.session.commit()
    assert returned == 100
    assert h.balance("worker_payable:w1") == 0 and h.balance("platform_revenue") == 0
    assert h.balance("brand_escrow:b1:c1") == 100_000
    assert h.state("p1") == "clawed_back"
    decision = current_decision("p1")
    assert decision.decision == "rejected" and decision.reason_code == "fraud_ring"
    assert verify().ok


def test_clawback_after_payout_goes_negative_and_blocks_payouts_until_recovered(app):
    h.world(campaigns={"c1": {"reward_cents": 2000}})
    settled("p1")
    payouts.create_batch(minimum=1000, new_account_days=0)
    payouts.export_csv(io.StringIO())
    clawback.claw_back("p1", reason_code="fraud_bot")
    db.session.commit()
    assert h.balance("worker_payable:w1") == -1700
    held = payouts.create_batch(minimum=1000, new_account_days=0)
    assert held.batch is None and held.held["below the minimum or negative after a clawback"] == 1
    settled("p2", "p3")  # new earnings first cover the debt
    assert h.balance("worker_payable:w1") == 1700
    assert payouts.create_batch(minimum=1000, new_account_days=0).batch.total_cents == 1700
    assert verify().ok


def test_only_settled_proofs_are_clawed_back_and_only_once(app):
    h.world()
    h.proof("p1")
    h.approve("p1")
    db.session.commit()
    with pytest.raises(clawback.ClawbackError, match="reopen it and reject it"):
        clawback.claw_back("p1", reason_code="fraud_bot")
    run_settlement()
    clawback.claw_back("p1", reason_code="fraud_bot")
    with pytest.raises(clawback.ClawbackError, match="only settled proofs"):
        clawback.claw_back("p1", reason_code="fraud_bot")
    with pytest.raises(clawback.ClawbackError, match="reason_code"):
        clawback.claw_back("p1", reason_code="because")


def test_ring_clawback_takes_the_settled_and_names_the_rest(app, runner):
    h.world()
    settled("p1", "p2")
    h.proof("p3")
    db.session.commit()
    result = runner.invoke(args=["ledger", "clawback", "p1", "p2", "p3", "--reason", "fraud_ring"])
    assert result.exit_code != 0
    assert "clawed back 2 proofs, 200 cents returned to escrow" in result.output
    assert "p3: proof p3 is in_review; only settled proofs are clawed back" in result.output
    assert h.state("p1") == h.state("p2") == "clawed_back"
    assert verify().ok

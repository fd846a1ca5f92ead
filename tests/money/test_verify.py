"""`flask ledger verify`: a clean ledger passes; each kind of corruption is found and named."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.money.jobs import run_settlement
from app.money.services import ledger
from app.money.services.verify import verify
from models import LedgerEntry, Payout, PayoutBatch, ReviewDecision, db, utcnow
from tests.money import helpers as h


def settled_world() -> None:
    h.world()
    for pid, worker in (("p1", "w1"), ("p2", "w2")):
        h.proof(pid, worker=worker)
        h.approve(pid)
    h.proof("p3")
    db.session.commit()
    run_settlement()


def corrupt(sql: str, **params: object) -> None:
    db.session.execute(sa.text(sql), params)
    db.session.commit()


def entry_id(key: str) -> int:
    return db.session.scalar(sa.select(LedgerEntry.id).where(LedgerEntry.key == key))


def test_clean_ledger_passes(app, runner):
    settled_world()
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "ok: every invariant holds" in result.output
    assert "2 settled proofs" in result.output


def test_unbalanced_entry_and_stale_cached_balance_are_named(app, runner):
    settled_world()
    corrupt("UPDATE ledger_postings SET amount = amount + 5 WHERE entry_id = :e AND amount > 0 AND amount < 50",
            e=entry_id("settle:p1"))
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code != 0
    assert "[every entry balances] entry" in result.output
    assert "(settle:p1): 3 postings summing to 5 cents" in result.output
    assert "account platform_revenue: cached balance 30 cents but its postings sum to 35" in result.output


def test_proof_marked_settled_without_money_or_decision_is_named(app):
    settled_world()
    corrupt("UPDATE proofs SET state = 'settled' WHERE id = 'p3'")
    violations = "\n".join(verify().violations)
    assert "proof p3 is settled but has no settle:p3 entry" in violations
    assert "proof p3 is settled but its decision in force is not an approval" in violations


def test_settled_proof_whose_decision_was_reversed_is_named(app):
    settled_world()
    db.session.add(ReviewDecision(proof_id="p1", decision="rejected", reason_code="fraud_bot", actor_kind="system",
                                  decided_at=utcnow() + timedelta(minutes=1)))
    db.session.commit()
    assert any("proof p1 is settled but its decision in force is not an approval" in v for v in verify().violations)


def test_settle_entry_for_an_unsettled_proof_and_double_settlement_are_named(app):
    settled_world()
    corrupt("UPDATE proofs SET state = 'approved' WHERE id = 'p2'")
    revenue = ledger.account_ids(["platform_revenue"])["platform_revenue"]
    escrow = ledger.account_ids(["brand_escrow:b1:c1"])["brand_escrow:b1:c1"]
    ledger.post([ledger.Draft(key="settle:p1:again", kind="settle", proof_id="p1", legs={escrow: -1, revenue: 1})])
    db.session.commit()
    violations = "\n".join(verify().violations)
    assert "entry settle:p2: its proof is approved, not settled or clawed_back" in violations
    assert "proof p1: 2 settle entries; a proof is settled at most once" in violations
    assert "entry settle:p1:again: takes 1 cents from its campaign's escrow for a 100-cent reward" in violations


def test_payout_without_money_in_clearing_is_named(app):
    settled_world()
    db.session.add(PayoutBatch(id=1, created_by="forger"))
    db.session.flush()
    db.session.add(Payout(batch_id=1, worker_id="w1", amount_cents=85, state="pending"))
    db.session.commit()
    violations = "\n".join(verify().violations)
    assert "account payouts_clearing holds 0 cents but payouts in flight total 85" in violations
    assert "is pending but has no payout entry" in violations


def test_unbalanced_draft_is_refused_before_anything_is_written(app):
    import pytest

    h.world()
    escrow = ledger.account_ids(["brand_escrow:b1:c1"])["brand_escrow:b1:c1"]
    funding_acc = ledger.account_ids(["brand_funding:b1"])["brand_funding:b1"]
    with pytest.raises(ledger.UnbalancedEntry, match="sum to 1 cents"):
        ledger.post([ledger.Draft(key="bad", kind="fund", legs={escrow: 2, funding_acc: -1})])
    with pytest.raises(ledger.UnbalancedEntry, match="at least two"):
        ledger.post([ledger.Draft(key="bad", kind="fund", legs={escrow: 0})])
    assert db.session.scalar(sa.select(LedgerEntry.id).where(LedgerEntry.key == "bad")) is None

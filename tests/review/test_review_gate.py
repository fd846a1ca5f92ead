"""Review decisions: recorded with actor and time, audited, and the only way to approval."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.review.services.decisions import ReviewError, decide
from models import AuditEvent, IllegalTransition, Proof, ReviewDecision, ReviewItem, db


@pytest.fixture()
def proof(runner, world):
    runner.invoke(args=["import", str(world.basic(proofs=1).write()), "--no-score"])
    return db.session.get(Proof, "p1")


def test_human_approval_records_decision_audit_and_state(proof, staff):
    mod = staff("moderator")
    row = decide(proof, "approved", actor=mod, note="looks real")
    db.session.commit()
    assert proof.state == "approved" and row.actor_id == mod.id and row.decided_at is not None
    assert db.session.scalar(sa.select(ReviewItem.status).where(ReviewItem.proof_id == "p1")) == "decided"
    audit = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "proof.approved"))
    assert audit.object_id == "p1" and audit.actor_label == mod.email


def test_rejection_needs_a_known_reason_code(proof, staff):
    with pytest.raises(ReviewError, match="reason_code"):
        decide(proof, "rejected", actor=staff("moderator"), reason_code="because")
    assert proof.state == "received"


def test_escalation_keeps_the_proof_waiting_in_the_senior_queue(proof, staff):
    decide(proof, "escalated", actor=staff("moderator"))
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == "p1"))
    assert proof.state == "in_review" and item.queue == "senior" and item.status == "open"


def test_decided_proof_cannot_be_decided_again(proof, staff):
    mod = staff("moderator")
    decide(proof, "rejected", actor=mod, reason_code="fraud_bot")
    with pytest.raises(ReviewError, match="only proofs waiting for review"):
        decide(proof, "approved", actor=mod)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewDecision)) == 1


def test_settlement_state_is_unreachable_without_approval(proof):
    with pytest.raises(IllegalTransition):
        proof.transition("settled")


def test_human_decision_needs_an_actor(proof):
    with pytest.raises(ReviewError, match="actor"):
        decide(proof, "approved", actor=None)


def test_deciding_keeps_the_items_queue_and_risk(runner, world, staff):
    runner.invoke(args=["import", str(world.basic(proofs=1).write()), "--no-score"])
    proof = db.session.get(Proof, "p1")
    item = ReviewItem(proof_id="p1", campaign_id=proof.campaign_id, queue="hold", priority=0.91)
    db.session.add(item)
    proof.transition("in_review")
    decide(proof, "escalated", actor=staff("moderator"))
    assert (item.queue, item.priority) == ("senior", 0.91)
    decide(proof, "rejected", actor=staff("senior_moderator"), reason_code="fraud_ring")
    assert (item.queue, item.priority, item.status) == ("senior", 0.91, "decided")

"""Fraud flags: the open suspicions that hold money back.

A flag on a proof keeps it from settling automatically; if the proof is approved and not yet
settled, flagging pulls it back into review (the `hold` queue). Any open flag on a worker is an
open fraud case: no payout is created or exported for that worker until every flag is resolved.
"""
from __future__ import annotations

import sqlalchemy as sa

from app.money.services import ledger
from app.platform.audit import record
from models import DomainError, FraudFlag, NotFound, Proof, ProofState, ReviewItem, StaffUser, Worker, db, utcnow
from models.ledger import FLAG_KINDS


class FlagError(DomainError):
    status_code = 422


def locked_proof(proof_id: str) -> Proof:
    """Load a proof holding its row lock (PostgreSQL), so no settlement or review races the change."""
    return ledger.locked(Proof, proof_id, "proof")


def reopen_proof(proof: Proof, *, reason: str, actor: StaffUser | None = None, actor_label: str = "system") -> None:
    """approved/rejected -> in_review: back to the `hold` queue for a human to look at again."""
    proof.transition(ProofState.IN_REVIEW)
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == proof.id))
    if item is None:
        item = ReviewItem(proof_id=proof.id, campaign_id=proof.campaign_id, queue="hold", priority=1.0)
        db.session.add(item)
    item.queue, item.status, item.claimed_by, item.claimed_at = "hold", "open", None, None
    record("proof.reopened", "proof", proof.id, actor=actor, actor_label=actor_label, data={"reason": reason})
    db.session.flush()


def open_flag(worker_id: str, *, kind: str, reason: str, proof_id: str | None = None,
              actor: StaffUser | None = None, actor_label: str = "system") -> FraudFlag:
    """Open a fraud flag on a worker (and optionally one proof); an unsettled approved proof is reopened."""
    if kind not in FLAG_KINDS:
        raise FlagError(f"kind: {kind!r} is not one of {', '.join(FLAG_KINDS)}")
    if not reason.strip():
        raise FlagError("reason: say what was found")
    if db.session.get(Worker, worker_id) is None:
        raise NotFound(f"worker {worker_id} does not exist")
    label = actor.email if actor else actor_label
    if proof_id is not None:
        proof = locked_proof(proof_id)
        if proof.worker_id != worker_id:
            raise FlagError(f"proof {proof_id} belongs to worker {proof.worker_id}, not {worker_id}")
        if proof.state == ProofState.APPROVED.value:
            reopen_proof(proof, reason=f"flag {kind}: {reason}", actor=actor, actor_label=label)
    flag = FraudFlag(worker_id=worker_id, proof_id=proof_id, kind=kind, reason=reason, opened_by=label)
    db.session.add(flag)
    db.session.flush()
    record("flag.opened", "worker", worker_id, actor=actor, actor_label=label,
           data={"flag_id": flag.id, "kind": kind, "proof_id": proof_id, "reason": reason})
    return flag


def resolve_flag(flag_id: int, *, resolution: str, actor: StaffUser | None = None,
                 actor_label: str = "system") -> FraudFlag:
    """Close a flag with what was concluded; the proof itself is decided in the review queue."""
    flag = db.session.get(FraudFlag, flag_id)
    if flag is None:
        raise NotFound(f"flag {flag_id} does not exist")
    if flag.status != "open":
        raise FlagError(f"flag {flag_id} is already {flag.status}")
    label = actor.email if actor else actor_label
    flag.status, flag.resolution, flag.resolved_by, flag.resolved_at = "resolved", resolution, label, utcnow()
    record("flag.resolved", "worker", flag.worker_id, actor=actor, actor_label=label,
           data={"flag_id": flag.id, "resolution": resolution})
    db.session.flush()
    return flag


def open_flag_filter(worker_column: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """SQL condition: the worker in `worker_column` has an open fraud case."""
    return sa.exists().where(FraudFlag.worker_id == worker_column, FraudFlag.status == "open")

"""Workers' appeals against rejections: filed through the API, decided by a senior moderator.

An upheld appeal reverses the rejection through the ledger (rejected -> approved, settled on the
next settlement run); a denied one leaves it. Never decided by the person who made the rejection.
Nothing here commits.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.money.services.holds import locked_proof
from app.platform.audit import record
from app.platform.i18n import _
from app.review.services.claims import NotAllowed
from app.review.services.decisions import ReviewError, current_decision
from app.review.services.queue import SENIOR_ROLES
from app.review.services.reversal import flip
from models import Appeal, DomainError, NotFound, Proof, ProofScore, ProofState, ReviewDecision, StaffUser, db

MAX_MESSAGE = 2000


class AppealError(DomainError):
    status_code = 409


def file_appeal(proof_id: str, message: str, now: datetime, source: str = "api") -> tuple[Appeal, bool]:
    """Store the worker's appeal; (appeal, created). Repeating the same appeal returns the stored one."""
    proof = db.session.get(Proof, proof_id)
    if proof is None:
        raise NotFound(f"no proof with id {proof_id!r}")
    message = (message or "").strip()
    if not message or len(message) > MAX_MESSAGE:
        raise ReviewError(f"message: say why the rejection is wrong, 1 to {MAX_MESSAGE} characters")
    existing = db.session.scalar(sa.select(Appeal).where(Appeal.proof_id == proof_id))
    if existing is not None:
        if existing.message == message:
            return existing, False
        raise AppealError(f"proof {proof_id} was already appealed (appeal {existing.id}, {existing.status})")
    if proof.state != ProofState.REJECTED.value:
        raise AppealError(f"proof {proof_id} is {proof.state}; only a rejected proof can be appealed")
    decision = current_decision(proof_id)
    appeal = Appeal(proof_id=proof_id, worker_id=proof.worker_id, message=message, source=source, status="open",
                    appealed_decision_id=decision.id if decision else None, created_at=now)
    db.session.add(appeal)
    db.session.flush()
    record("appeal.filed", "proof", proof_id, actor_label=source, data={"appeal_id": appeal.id})
    return appeal, True


def open_appeals(limit: int = 100) -> list[tuple[Appeal, ReviewDecision | None, str | None, ProofScore | None]]:
    """Open appeals, oldest first, with the appealed decision, who made it and the proof's score."""
    rows = db.session.execute(
        sa.select(Appeal, ReviewDecision, StaffUser.name, ProofScore)
        .outerjoin(ReviewDecision, ReviewDecision.id == Appeal.appealed_decision_id)
        .outerjoin(StaffUser, StaffUser.id == ReviewDecision.actor_id)
        .outerjoin(ProofScore, ProofScore.proof_id == Appeal.proof_id)
        .where(Appeal.status == "open").order_by(Appeal.created_at, Appeal.id).limit(limit)).all()
    return [tuple(r) for r in rows]


def decide_appeal(appeal: Appeal, senior: StaffUser, *, uphold: bool, note: str | None, now: datetime) -> str:
    """Uphold (reverse the rejection through the ledger) or deny; returns the appeal's new status."""
    if not senior.has_role(*SENIOR_ROLES):
        raise NotAllowed(_("appeals are decided by a senior moderator"))
    if not (note or "").strip():
        raise AppealError(_("note: tell the worker why"))
    decision = db.session.get(ReviewDecision, appeal.appealed_decision_id) if appeal.appealed_decision_id else None
    if decision is not None and decision.actor_id == senior.id:
        raise NotAllowed(_("four eyes: another senior moderator decides the appeal against your own rejection"))
    status = "upheld" if uphold else "denied"
    taken = db.session.execute(
        sa.update(Appeal).where(Appeal.id == appeal.id, Appeal.status == "open")
        .values(status=status, decided_by=senior.id, decided_at=now, note=note.strip())
        .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(appeal)
    if taken != 1:
        raise AppealError(_("appeal %(id)d was already %(status)s", id=appeal.id, status=appeal.status))
    if uphold:
        proof = locked_proof(appeal.proof_id)
        if proof.state != ProofState.REJECTED.value:
            raise AppealError(_("proof %(id)s is %(state)s; only a rejection can be reversed by an appeal",
                                id=proof.id, state=proof.state))
        flip(proof, senior, "approved", reason_code=None, note=f"appeal {appeal.id} upheld: {note.strip()}",
             reversed_decision=appeal.appealed_decision_id, why="appeal")
    record(f"appeal.{status}", "proof", appeal.proof_id, actor=senior, data={"appeal_id": appeal.id, "note": note})
    db.session.flush()
    return status

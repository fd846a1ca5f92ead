"""A senior moderator reverses a decision within a window, through the ledger.

Approved and not yet settled -> rejected (the reservation is released); settled -> clawed back (the
money service mirrors the settlement and records the rejecting decision); rejected -> approved
(settlement pays it on its next run). The proof row is locked first, so settlement never races the
change. Never the person whose decision it was. Nothing here commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.money.services.clawback import claw_back
from app.money.services.funding import reclaim_reward
from app.money.services.holds import locked_proof
from app.platform.audit import record
from app.platform.i18n import _
from app.review.services.claims import NotAllowed
from app.review.services.decisions import current_decision, decide
from app.review.services.queue import SENIOR_ROLES
from app.review.services.reasons import usable
from models import DomainError, Proof, ProofState, ReviewDecision, StaffUser

REVERSAL_HOURS = 72
REVERSIBLE = (ProofState.APPROVED.value, ProofState.SETTLED.value, ProofState.REJECTED.value)


class ReversalError(DomainError):
    status_code = 409


@dataclass(frozen=True)
class Reversible:
    decision: ReviewDecision
    to: str  # the decision a reversal records: rejected or approved
    until: datetime


def reversible(proof_id: str, state: str, user: StaffUser, now: datetime,
               window_hours: int = REVERSAL_HOURS) -> Reversible | None:
    """What `user` may reverse on this proof now, or None."""
    if state not in REVERSIBLE or not user.has_role(*SENIOR_ROLES):
        return None
    latest = current_decision(proof_id)
    if latest is None or latest.decision == "escalated" or latest.actor_id == user.id:
        return None
    until = latest.decided_at + timedelta(hours=window_hours)
    if now > until:
        return None
    return Reversible(latest, "approved" if state == ProofState.REJECTED.value else "rejected", until)


def reverse(proof_id: str, senior: StaffUser, *, reason_code: str | None, note: str | None, now: datetime,
            window_hours: int = REVERSAL_HOURS) -> str:
    """Reverse the decision in force; returns the new state of the proof."""
    if not senior.has_role(*SENIOR_ROLES):
        raise NotAllowed(_("a decision is reversed by a senior moderator"))
    if not (note or "").strip():
        raise ReversalError(_("note: say why the decision is reversed"))
    proof = locked_proof(proof_id)
    latest = current_decision(proof_id)
    if latest is not None and latest.actor_id == senior.id:
        raise NotAllowed(_("four eyes: another senior moderator reverses your own decision"))
    found = reversible(proof_id, proof.state, senior, now, window_hours)
    if found is None:
        raise ReversalError(_("proof %(id)s has no decision you can reverse (it is %(state)s; the window is "
                              "%(hours)d hours)", id=proof_id, state=proof.state, hours=window_hours))
    if found.to == "rejected" and not usable(reason_code):
        raise ReversalError(_("reason_code: a reversal to rejected needs one reason code"))
    return flip(proof, senior, found.to, reason_code=reason_code, note=note, reversed_decision=found.decision.id)


def flip(proof: Proof, senior: StaffUser, to: str, *, reason_code: str | None, note: str | None,
         reversed_decision: int | None, why: str = "reversal") -> str:
    """Record the opposite decision on a locked, decided proof, moving the money with it."""
    before = proof.state
    if to == "approved" and before == ProofState.REJECTED.value:
        reclaim_reward(proof.campaign_id)  # the rejection released the reward; it must still be in escrow
    if proof.state == ProofState.SETTLED.value:
        claw_back(proof.id, reason_code=reason_code, note=note, actor=senior)
    else:
        proof.transition(ProofState.IN_REVIEW)
        decide(proof, to, actor=senior, reason_code=reason_code if to == "rejected" else None, note=note)
    record("proof.reversed", "proof", proof.id, actor=senior,
           data={"from": before, "to": proof.state, "reversed_decision": reversed_decision, "why": why,
                 "reason_code": reason_code, "note": note})
    return proof.state

"""Clawback: a settled proof later judged fraudulent gives its money back.

The clawback entry (`clawback:<proof>`) is the exact mirror of the proof's settlement entry: the
worker's payable loses what it gained (going negative if that money was already paid out, which
blocks further payouts until new earnings cover it), platform revenue gives up the commission, and
the brand's escrow gets the full reward back. A rejecting review decision is recorded, so the
decision in force matches the money, and the proof moves settled -> clawed_back.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from app.money.services import ledger
from app.money.services.holds import locked_proof
from app.platform.audit import record
from app.review.services.reasons import usable, usable_codes
from models import DomainError, EntryKind, ProofState, ReviewDecision, StaffUser, db


class ClawbackError(DomainError):
    status_code = 409


@dataclass
class ClawbackSummary:
    proofs: int = 0
    cents: int = 0
    refused: dict[str, str] = field(default_factory=dict)  # proof id -> why not


def claw_back(proof_id: str, *, reason_code: str, note: str | None = None, actor: StaffUser | None = None,
              actor_label: str = "system") -> int:
    """Reverse the settlement of one proof; returns the cents returned to the brand's escrow."""
    if not usable(reason_code):
        raise ClawbackError(f"reason_code: a clawback needs one of {', '.join(usable_codes())}")
    proof = locked_proof(proof_id)
    if proof.state != ProofState.SETTLED.value:
        hint = " (reopen it and reject it in review instead)" if proof.state == ProofState.APPROVED.value else ""
        raise ClawbackError(f"proof {proof_id} is {proof.state}; only settled proofs are clawed back{hint}")
    settled, legs = ledger.entry_legs(f"settle:{proof_id}")
    if settled is None:
        raise ClawbackError(f"proof {proof_id} is settled but has no settle:{proof_id} entry; "
                            "run `flask ledger verify`")
    label = actor.email if actor else actor_label
    draft = ledger.Draft(key=f"clawback:{proof_id}", kind=EntryKind.CLAWBACK.value, proof_id=proof_id,
                         campaign_id=settled.campaign_id, brand_id=settled.brand_id, worker_id=settled.worker_id,
                         legs={account: -amount for account, amount in legs.items()}, memo=reason_code)
    if not ledger.post([draft]):
        raise ClawbackError(f"proof {proof_id} was already clawed back")
    db.session.add(ReviewDecision(proof_id=proof_id, decision="rejected", reason_code=reason_code, note=note,
                                  actor_kind="human" if actor else "system", actor_id=actor.id if actor else None))
    proof.transition(ProofState.CLAWED_BACK)
    returned = -min(legs.values())
    record("proof.clawed_back", "proof", proof_id, actor=actor, actor_label=label,
           data={"reason_code": reason_code, "note": note, "escrow_cents": returned, "worker_id": proof.worker_id})
    db.session.flush()
    return returned


def claw_back_many(proof_ids: list[str], *, reason_code: str, note: str | None = None,
                   actor: StaffUser | None = None, actor_label: str = "system") -> ClawbackSummary:
    """Claw back every settled proof among `proof_ids` (a ring found later); others are listed as refused."""
    summary = ClawbackSummary()
    for proof_id in proof_ids:
        try:
            with db.session.begin_nested():
                summary.cents += claw_back(proof_id, reason_code=reason_code, note=note, actor=actor,
                                           actor_label=actor_label)
        except DomainError as exc:
            summary.refused[proof_id] = str(exc)
            continue
        summary.proofs += 1
    return summary

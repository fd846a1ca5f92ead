"""The review gate: queue items and decisions. No proof reaches `approved` without a decision row,
and every decision writes its audit row in the same transaction."""
from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from app.platform.audit import record
from app.platform.bulk import insert_new
from app.platform.i18n import _
from app.review.services.qa_sample import human_sample_every
from app.review.services.reasons import usable, usable_codes
from models import DomainError, InfoRequest, Proof, ProofState, ReviewDecision, ReviewItem, StaffUser, db, utcnow

DECIDABLE = (ProofState.RECEIVED.value, ProofState.SCORED.value, ProofState.IN_REVIEW.value)


class ReviewError(DomainError):
    status_code = 422


def ensure_item(proof: Proof, queue: str, priority: float) -> ReviewItem:
    """Put a proof in a queue (or move it), and the proof into `in_review`."""
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == proof.id))
    if item is None:
        item = ReviewItem(proof_id=proof.id, campaign_id=proof.campaign_id, queue=queue, priority=priority,
                          status="open")
        db.session.add(item)
    elif item.status != "decided":
        item.queue, item.priority = queue, priority
    if proof.state in (ProofState.RECEIVED.value, ProofState.SCORED.value):
        proof.transition(ProofState.IN_REVIEW)
    return item


def decide(proof: Proof, decision: str, *, actor: StaffUser | None, reason_code: str | None = None,
           note: str | None = None, actor_kind: str = "human") -> ReviewDecision:
    """Approve, reject or escalate a proof that is waiting for review."""
    if decision not in ("approved", "rejected", "escalated"):
        raise ReviewError(_("decision %(decision)r must be approved, rejected or escalated", decision=decision))
    if decision == "rejected" and not usable(reason_code):
        raise ReviewError(_("reason_code: a rejection needs one of %(codes)s", codes=", ".join(usable_codes())))
    if actor_kind == "human" and actor is None:
        raise ReviewError(_("a human decision needs an actor"))
    if proof.state not in DECIDABLE:
        raise ReviewError(_("proof %(proof)s is %(state)s; only proofs waiting for review can be decided",
                                proof=proof.id, state=proof.state))
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == proof.id))
    if item is None:  # decided before scoring queued it (e.g. from the proof page of a fresh proof)
        item = ensure_item(proof, "review", 0.0)
    elif proof.state != ProofState.IN_REVIEW.value:
        proof.transition(ProofState.IN_REVIEW)
    if item.status == "info_requested":  # decided (e.g. in bulk) while the worker was asked: the question closes
        db.session.execute(sa.update(InfoRequest).where(InfoRequest.proof_id == proof.id, InfoRequest.status == "open")
                           .values(status="closed", closed_at=utcnow()).execution_options(synchronize_session=False))
    row = ReviewDecision(proof_id=proof.id, decision=decision, reason_code=reason_code, note=note,
                         actor_kind=actor_kind, actor_id=actor.id if actor else None)
    db.session.add(row)
    if decision == "escalated":
        item.queue, item.status, item.claimed_by, item.claimed_at = "senior", "open", None, None
    else:
        proof.transition(decision)
        item.status = "decided"
    record(f"proof.{decision}", "proof", proof.id, actor=actor, actor_label=actor_kind,
           data={"reason_code": reason_code, "note": note})
    db.session.flush()
    if actor_kind == "human" and decision != "escalated":
        every = human_sample_every()  # drawn now, by item id: the QA sample of moderators' decisions
        item.qa_due = bool(every) and item.id % every == 0
        db.session.flush()
    return row


def apply_imported_decisions(rows: list[dict]) -> tuple[int, dict[str, str]]:
    """Record history decisions in bulk (actor `import`); returns (how many were new, {proof id: its
    state} of the new ones refused because the proof was decided here already).

    A repeated import finds each decision's idempotency key and changes nothing. A history decision
    for a proof the workbench has decided (or paid) is refused: recorded, it would become the decision
    in force over a settled proof or strand an approval that never settles.
    """
    if not rows:
        return 0, {}
    keyed = {f"import:{r['proof_id']}": r for r in rows}
    present = set(db.session.scalars(
        sa.select(ReviewDecision.idempotency_key).where(ReviewDecision.idempotency_key.in_(list(keyed)))))
    fresh = [r for k, r in keyed.items() if k not in present]
    if not fresh:
        return 0, {}
    proofs = {pid: (state, campaign) for pid, state, campaign in db.session.execute(
        sa.select(Proof.id, Proof.state, Proof.campaign_id).where(Proof.id.in_([r["proof_id"] for r in fresh])))}
    refused = {r["proof_id"]: proofs[r["proof_id"]][0] for r in fresh if proofs[r["proof_id"]][0] not in DECIDABLE}
    fresh = [r for r in fresh if r["proof_id"] not in refused]
    if not fresh:
        return 0, refused
    now = utcnow()
    db.session.execute(sa.insert(ReviewDecision), [{
        "proof_id": r["proof_id"], "decision": r["decision"], "reason_code": r["reason"],
        "note": "imported history", "actor_kind": "import", "actor_id": None,
        # Undated history is dated when it arrived: dating it at the proof's submission would let
        # point-in-time features see a label before anyone had decided it.
        "decided_at": r["decided_at"] or now, "idempotency_key": f"import:{r['proof_id']}",
    } for r in fresh])
    db.session.execute(
        sa.update(Proof.__table__).where(Proof.__table__.c.id == sa.bindparam("pid")).values(
            state=sa.bindparam("new_state"), state_changed_at=now),
        [{"pid": r["proof_id"], "new_state": r["decision"]} for r in fresh],
    )
    _close_items({r["proof_id"]: proofs[r["proof_id"]][1] for r in fresh}, now)
    record("decisions.import", "proof", f"{len(fresh)} proofs", actor_label="import",
           data={"approved": sum(r["decision"] == "approved" for r in fresh),
                 "rejected": sum(r["decision"] == "rejected" for r in fresh)})
    return len(fresh), refused


def imported_differences(rows: list[dict]) -> dict[str, list[str]]:
    """Proof id -> the fields (decision, reason, decided_at) in which a history decision differs from the
    one an earlier import recorded for that proof; the recorded one stays (a file leaving decided_at
    out is not compared on it: the first import dated it on arrival)."""
    keyed = {f"import:{r['proof_id']}": r for r in rows}
    stored = db.session.execute(sa.select(ReviewDecision.idempotency_key, ReviewDecision.decision,
                                          ReviewDecision.reason_code, ReviewDecision.decided_at)
                                .where(ReviewDecision.idempotency_key.in_(list(keyed)))).all()
    found = {}
    for key, decision, reason, decided_at in stored:
        row = keyed[key]
        fields = [name for name, given, kept in (("decision", row["decision"], decision),
                                                 ("reason", row["reason"], reason)) if given != kept]
        if row["decided_at"] is not None and decided_at is not None and \
                row["decided_at"].astimezone(UTC) != decided_at.astimezone(UTC):
            fields.append("decided_at")
        if fields:
            found[row["proof_id"]] = fields
    return found


def _close_items(campaigns: dict[str, str], now: datetime) -> None:
    """Mark the review items of these proofs (proof id -> campaign id) decided, creating missing ones."""
    proof_ids = list(campaigns)
    insert_new(ReviewItem.__table__, [
        {"proof_id": pid, "campaign_id": campaign, "queue": "review", "status": "decided", "priority": 0.0,
         "created_at": now, "updated_at": now}
        for pid, campaign in campaigns.items()
    ], key="proof_id")
    db.session.execute(
        sa.update(ReviewItem.__table__).where(ReviewItem.__table__.c.proof_id.in_(proof_ids))
        .values(status="decided", updated_at=now),
    )


def current_decision(proof_id: str) -> ReviewDecision | None:
    return db.session.scalar(
        sa.select(ReviewDecision).where(ReviewDecision.proof_id == proof_id)
        .order_by(ReviewDecision.decided_at.desc(), ReviewDecision.id.desc()).limit(1))

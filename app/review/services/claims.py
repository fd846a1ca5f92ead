"""Claims on review items, decisions taken from the workbench, and the QA of policy approvals.

A claim is one conditional UPDATE that succeeds only while the row is still claimable (open, or its
claim expired, or already held by the same person), so two moderators never hold the same item on
SQLite or PostgreSQL. On PostgreSQL the candidate is also picked with FOR UPDATE SKIP LOCKED so
concurrent moderators do not queue up behind one row. Nothing here commits.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from app.money.services.holds import locked_proof
from app.platform.audit import record
from app.platform.i18n import _
from app.platform.vocabulary import state_label
from app.review.services import priority
from app.review.services.decisions import DECIDABLE, current_decision, decide
from app.review.services.queue import (
    KEY_ORDER,
    PENDING,
    QA_CONFIRMED,
    QA_DISAGREED,
    QA_SAMPLE_EVERY,
    SENIOR_ROLES,
    QueueError,
    QueueFilters,
    claim_cutoff,
    claim_minutes,
    filtered_items,
    sorted_query,
)
from models import AuditEvent, DomainError, Proof, ProofState, QaCheck, ReviewDecision, ReviewItem, StaffUser, db

CLAIM_ATTEMPTS = 8


class ClaimConflict(DomainError):
    status_code = 409


class NotAllowed(DomainError):
    status_code = 403


def _claimable(cutoff: datetime, user_id: int) -> sa.ColumnElement[bool]:
    return sa.or_(
        ReviewItem.status == "open",
        sa.and_(ReviewItem.status == "claimed",
                sa.or_(ReviewItem.claimed_at < cutoff, ReviewItem.claimed_by == user_id)))


def try_claim(item_id: int, user: StaffUser, now: datetime, minutes: int | None = None) -> bool:
    """Claim (or renew) one item for `user`; False if someone else holds a live claim or it was decided."""
    result = db.session.execute(
        sa.update(ReviewItem).where(ReviewItem.id == item_id, _claimable(claim_cutoff(now, minutes), user.id))
        .values(status="claimed", claimed_by=user.id, claimed_at=now, updated_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount == 1


def escalated_by(user_id: int) -> sa.Exists:
    """The item's proof was escalated by this user (four eyes: they may not decide it)."""
    return sa.exists().where(ReviewDecision.proof_id == ReviewItem.proof_id,
                             ReviewDecision.decision == "escalated", ReviewDecision.actor_id == user_id)


def escalated_item(item_id: int, user_id: int) -> bool:
    """Whether this user escalated the item's proof."""
    return bool(db.session.scalar(sa.select(sa.literal(True)).select_from(ReviewItem)
                                  .where(ReviewItem.id == item_id, escalated_by(user_id))))


def held_claim(user: StaffUser, filters: QueueFilters, now: datetime, minutes: int | None = None,
               skip_item_id: int | None = None) -> int | None:
    """The first item of this view (in queue order) that `user` already holds, if any."""
    query = filtered_items([ReviewItem.id], filters, user.id, now).where(
        ReviewItem.status == "claimed", ReviewItem.claimed_by == user.id,
        ReviewItem.claimed_at >= claim_cutoff(now, minutes))
    if skip_item_id is not None:
        query = query.where(ReviewItem.id != skip_item_id)
    return db.session.scalar(sorted_query(query, KEY_ORDER, True).limit(1))


def claim_next(user: StaffUser, filters: QueueFilters, now: datetime, minutes: int | None = None,
               skip_item_id: int | None = None) -> ReviewItem | None:
    """Return the item `user` holds in this view, else atomically claim the first claimable one in queue order."""
    item_id = held_claim(user, filters, now, minutes, skip_item_id)
    if item_id is not None and try_claim(item_id, user, now, minutes):
        return db.session.get(ReviewItem, item_id, populate_existing=True)
    for _attempt in range(CLAIM_ATTEMPTS):
        candidate = _best_candidate(user, filters, now, minutes, skip_item_id)
        if candidate is None:
            return None
        if try_claim(candidate, user, now, minutes):
            return db.session.get(ReviewItem, candidate, populate_existing=True)
    return None  # lost every race in a row: the moderator presses claim again


def _best_candidate(user: StaffUser, filters: QueueFilters, now: datetime, minutes: int,
                    skip_item_id: int | None) -> int | None:
    """The first open item, or an older claim that expired, in queue order: past-due items first, then
    the largest key (risk x money x age, priority.py).

    Each tier and status is read by its own ordered index range, and the within-service-level tier
    only when nothing is past due; on PostgreSQL the row is locked with SKIP LOCKED so a concurrent
    moderator moves on to the next row instead of waiting.
    """
    for tier in priority.tiers(filters.tab, now):
        found = []
        for status in PENDING:
            query = filtered_items([ReviewItem.id, ReviewItem.sort_key], filters, user.id, now, status=status) \
                .where(tier.where)
            if status == "claimed":
                query = query.where(ReviewItem.claimed_at < claim_cutoff(now, minutes))
            if filters.tab == "senior":
                query = query.where(~escalated_by(user.id))
            if skip_item_id is not None:
                query = query.where(ReviewItem.id != skip_item_id)
            query = sorted_query(query, KEY_ORDER, True).limit(1).with_for_update(skip_locked=True, of=ReviewItem)
            found += db.session.execute(query).all()
        if found:
            return max(found, key=lambda row: (row.sort_key, row.id)).id
    return None


def release(item: ReviewItem, user: StaffUser, now: datetime) -> bool:
    """Give a claimed item back to the queue; only its holder can."""
    result = db.session.execute(
        sa.update(ReviewItem).where(ReviewItem.id == item.id, ReviewItem.status == "claimed",
                                    ReviewItem.claimed_by == user.id)
        .values(status="open", claimed_by=None, claimed_at=None, updated_at=now)
        .execution_options(synchronize_session=False))
    db.session.refresh(item)
    return result.rowcount == 1


def assert_may_decide(item: ReviewItem, user: StaffUser) -> None:
    """Escalated items are for senior moderators, and never for the person who escalated them."""
    if item.queue != "senior":
        return
    if not user.has_role(*SENIOR_ROLES):
        raise NotAllowed(_("escalated proofs are decided by a senior moderator"))
    if escalated_item(item.id, user.id):
        raise NotAllowed(_("four eyes: you escalated this proof, so another senior moderator must decide it"))


def decide_from_queue(proof: Proof, user: StaffUser, decision: str, *, now: datetime, reason_code: str | None = None,
                      note: str | None = None, minutes: int | None = None) -> ReviewDecision:
    """Take (or keep) the claim, check who may decide, then record the decision through review.decide."""
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == proof.id))
    if item is not None:
        if item.status == "decided":
            raise ClaimConflict(_("proof %(proof)s has already been decided", proof=proof.id))
        assert_may_decide(item, user)
        if decision == "escalated" and item.queue == "senior":
            raise QueueError(_("this proof is already with the senior queue; approve or reject it"))
        minutes = claim_minutes(minutes)
        if not try_claim(item.id, user, now, minutes):
            db.session.refresh(item)
            holder = db.session.get(StaffUser, item.claimed_by) if item.claimed_by else None
            raise ClaimConflict(_("%(holder)s is working on proof %(proof)s; their claim expires %(minutes)d minutes "
                                  "after it was taken", holder=holder.name if holder else _("someone"),
                                  proof=proof.id, minutes=minutes))
        db.session.refresh(item)  # the UPDATE bypassed the session; decide() must see the claim
    return decide(proof, decision, actor=user, reason_code=reason_code, note=note)


# -- QA of sampled decisions ----------------------------------------------------------------------

def qa_pending(item: ReviewItem | None, proof: Proof, viewer_id: int | None = None) -> bool:
    """A sampled decision no one has re-checked yet: a policy approval (every QA_SAMPLE_EVERY-th item
    of the auto queue) or a moderator's approval or rejection (every REVIEW_QA_HUMAN_EVERY-th item of
    the other queues). Nobody re-checks their own decision."""
    return _sampled_decision(item, proof, viewer_id) is not None


def _sampled_decision(item: ReviewItem | None, proof: Proof, viewer_id: int | None) -> ReviewDecision | None:
    if item is None or item.status != "decided":
        return None
    latest = current_decision(proof.id)
    if latest is None:
        return None
    if latest.actor_kind == "system":
        sampled = (item.queue == "auto" and item.id % QA_SAMPLE_EVERY == 0
                   and proof.state == ProofState.APPROVED.value)
    else:
        sampled = (item.qa_due and latest.actor_kind == "human" and latest.decision in ("approved", "rejected")
                   and proof.state == latest.decision and latest.actor_id != viewer_id)
    if not sampled or db.session.scalar(sa.select(QaCheck.id).where(QaCheck.proof_id == proof.id)):
        return None
    if latest.actor_kind == "system" and db.session.scalar(sa.select(AuditEvent.id).where(
            AuditEvent.object_type == "proof", AuditEvent.object_id == proof.id, AuditEvent.action == QA_CONFIRMED)):
        return None  # confirmed before QA checks had rows of their own
    return latest


def _checked(item: ReviewItem | None, proof: Proof, user: StaffUser) -> ReviewDecision:
    decision = _sampled_decision(item, proof, user.id)
    if decision is None:
        raise QueueError(_("proof %(proof)s is not a sampled decision waiting for QA (nobody re-checks their own)",
                           proof=proof.id))
    return decision


def confirm_qa(item: ReviewItem | None, proof: Proof, user: StaffUser, note: str | None) -> None:
    """The human agrees with the sampled decision; the check row and the audit row are the QA record."""
    decision = _checked(item, proof, user)
    item.qa_due = False
    db.session.add(QaCheck(proof_id=proof.id, decision_id=decision.id, decided_by=decision.actor_id,
                           checked_by=user.id, agreed=True, note=note))
    record(QA_CONFIRMED, "proof", proof.id, actor=user, data={"note": note, "decision_id": decision.id})
    db.session.flush()


def reopen_from_qa(item: ReviewItem | None, proof: Proof, user: StaffUser, note: str | None, now: datetime) -> bool:
    """The human disagrees. A policy approval goes back to the review queue before it settles (True);
    a moderator's decision stays as it is and the disagreement is recorded for the leads (a senior
    reverses it through the reversal window if it must change). Returns whether the proof was reopened."""
    decision = _checked(item, proof, user)
    if not note:
        raise QueueError(_("note: say what looks wrong so the next moderator knows"))
    item.qa_due = False
    db.session.add(QaCheck(proof_id=proof.id, decision_id=decision.id, decided_by=decision.actor_id,
                           checked_by=user.id, agreed=False, note=note))
    if decision.actor_kind == "human":
        record(QA_DISAGREED, "proof", proof.id, actor=user, data={"note": note, "decision_id": decision.id})
        db.session.flush()
        return False
    # Hold the proof's row as settlement does (money.services.holds): a settlement run that took it
    # meanwhile has paid it, and a settled proof does not go back to review.
    proof = locked_proof(proof.id)
    if proof.state != ProofState.APPROVED.value:
        raise QueueError(_("proof %(proof)s is %(state)s now; it cannot go back to review",
                           proof=proof.id, state=state_label(proof.state)))
    proof.transition(ProofState.IN_REVIEW)
    item.queue, item.status, item.claimed_by, item.claimed_at, item.updated_at = "review", "open", None, None, now
    record("proof.reopened", "proof", proof.id, actor=user, data={"note": note, "from": "qa_sample"})
    db.session.flush()
    return True


def decision_block(item: ReviewItem | None, proof: Proof, user: StaffUser) -> str | None:
    """Why `user` cannot decide this proof now, or None when the decision form applies."""
    if proof.state not in DECIDABLE or (item is not None and item.status == "decided"):
        return _("This proof is %(state)s; there is nothing left to decide.", state=state_label(proof.state))
    if item is None:
        return None
    if item.status == "info_requested":
        return _("The worker was asked for more information; this proof returns to the queue when they answer "
                 "or the question expires.")
    try:
        assert_may_decide(item, user)
    except NotAllowed as exc:
        return str(exc)
    return None


def release_expired_claims(now: datetime, minutes: int | None = None) -> list[int]:
    """Give every expired claim back to the queue (the periodic job): an expired claim is already
    claimable, but the queue and its counts should stop showing it as held. Returns the item ids."""
    minutes = claim_minutes(minutes)
    expired = sa.and_(ReviewItem.status == "claimed", ReviewItem.claimed_at < claim_cutoff(now, minutes))
    ids = list(db.session.scalars(sa.select(ReviewItem.id).where(expired).order_by(ReviewItem.id)))
    if not ids:
        return []
    released = list(db.session.scalars(
        sa.update(ReviewItem).where(ReviewItem.id.in_(ids), expired)  # a claim renewed meanwhile is kept
        .values(status="open", claimed_by=None, claimed_at=None, updated_at=now)
        .returning(ReviewItem.id).execution_options(synchronize_session=False)))
    if released:
        record("review.claims_expired", "review_item", f"{len(released)} items", actor_label="scheduler",
               data={"item_ids": sorted(released), "claim_minutes": minutes})
    return sorted(released)

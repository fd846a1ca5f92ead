"""One decision over many proofs (a cluster or a selection of it), through review.decide one proof at a time.

Applying is idempotent: a proof that is no longer waiting is skipped, and each decision carries the
key `bulk:<request>:<proof>`, so a retried request never decides a proof twice (money moves only from
decisions: settlement takes approved proofs once, a rejection releases what was reserved).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.platform.i18n import _
from app.review.services.claims import escalated_item
from app.review.services.cluster import Cluster, Preview, build_cluster, preview
from app.review.services.decisions import DECIDABLE, ReviewError, decide
from app.review.services.queue import SENIOR_ROLES, claim_cutoff
from app.review.services.reasons import usable
from models import Campaign, ModerationRequest, Proof, ReviewDecision, ReviewItem, StaffUser, db

BULK_DECISIONS = ("approved", "rejected", "escalated")
MAX_SELECTION = 500  # ticked rows one list action takes (a page holds 50)


@dataclass(frozen=True)
class FourEyesPolicy:
    """When a bulk action needs a second reviewer before it takes effect."""

    max_proofs: int = 20
    max_cents: int = 50_000  # ¥500.00

    @classmethod
    def from_config(cls, config: dict) -> FourEyesPolicy:
        return cls(int(config.get("FOUR_EYES_MAX_PROOFS", cls.max_proofs)),
                   int(config.get("FOUR_EYES_MAX_CENTS", cls.max_cents)))


def check_bulk(decision: str, reason_code: str | None, note: str | None, found: Preview) -> None:
    """Refuse a bulk decision that could not be applied; field errors name the field."""
    if decision not in BULK_DECISIONS:
        raise ReviewError(_("decision: choose approve, reject or escalate"))
    if decision == "rejected" and not usable(reason_code):
        raise ReviewError(_("reason_code: a rejection needs one reason code"))
    if decision == "rejected" and reason_code == "other" and not note:
        raise ReviewError(_("note: reason 'other' needs a note that explains it"))
    if not found.proofs:
        raise ReviewError(_("nothing to decide: none of the chosen proofs is waiting for a decision"))


def whole_ring(cluster: Cluster, chosen: Preview) -> bool:
    """The action reaches every waiting proof of a ring of several accounts, whatever the form said
    its scope was: ticking each proof of a small ring is rejecting the whole ring (four eyes)."""
    everything = preview(cluster).proof_ids
    return len(cluster.accounts) > 1 and bool(everything) and set(chosen.proof_ids) >= set(everything)


RING_CHECKS = 10  # clusters a list selection is walked for; past that many accounts, the size rules catch it


def ring_in_selection(decision: str, chosen: Preview) -> bool:
    """Rows ticked in a queue list that reject every waiting proof of a ring: the same four eyes as
    rejecting it from the cluster view (each account's cluster is walked once; a cluster found
    covers its accounts)."""
    if decision != "rejected" or chosen.workers < 2:
        return False
    workers = dict(db.session.execute(sa.select(Proof.id, Proof.worker_id).where(Proof.id.in_(chosen.proof_ids))).all())
    covered: set[str] = set()
    walks = 0
    for proof_id in chosen.proof_ids:
        if workers.get(proof_id) in covered:
            continue
        if walks == RING_CHECKS:
            break
        cluster, walks = build_cluster(proof_id), walks + 1
        if whole_ring(cluster, chosen):
            return True
        covered |= set(cluster.accounts)
    return False


def four_eyes_reason(decision: str, found: Preview, whole_ring: bool, policy: FourEyesPolicy) -> str | None:
    """Why a second reviewer must agree first, or None when one reviewer is enough."""
    if decision == "rejected" and whole_ring:
        return _("rejects a whole ring of %(n)d accounts", n=found.workers)
    if found.proofs > policy.max_proofs:
        return _("touches %(n)d proofs (more than %(max)d)", n=found.proofs, max=policy.max_proofs)
    if found.cents > policy.max_cents:
        return _("touches %(cents)s of rewards (more than %(max)s)", cents=_yuan(found.cents),
                 max=_yuan(policy.max_cents))
    return None


def _yuan(cents: int) -> str:
    return f"¥{cents / 100:,.2f}"


def bulk_payload(decision: str, reason_code: str | None, note: str | None, found: Preview, *,
                 cluster_of: str | None, whole_ring: bool) -> dict:
    return {"decision": decision, "reason_code": reason_code if decision == "rejected" else None, "note": note,
            "proof_ids": list(found.proof_ids), "cluster_of": cluster_of, "whole_ring": whole_ring}


@dataclass(frozen=True)
class Reach:
    """Who a request's decisions are made by, and what they may decide (the requester, and the second
    reviewer when four eyes approved it)."""

    requester: StaffUser
    senior_ok: bool  # a senior is among them: the senior queue is theirs
    allowed: frozenset[int]  # whose live claims do not stop them
    second_senior: bool  # a senior other than the requester approved: four eyes on escalated proofs hold


def reach_of(request: ModerationRequest) -> Reach:
    requester = db.session.get(StaffUser, request.requested_by)
    reviewer = db.session.get(StaffUser, request.reviewed_by) if request.reviewed_by else None
    return Reach(requester, requester.has_role(*SENIOR_ROLES) or bool(reviewer and reviewer.has_role(*SENIOR_ROLES)),
                 frozenset({requester.id} | ({reviewer.id} if reviewer else set())),
                 bool(reviewer and reviewer.id != requester.id and reviewer.has_role(*SENIOR_ROLES)))


def apply_bulk(request: ModerationRequest, now: datetime) -> dict:
    """Decide every proof of the request that still waits; returns counts by outcome."""
    payload = request.payload
    reach = reach_of(request)
    note = f"bulk #{request.id}" + (f": {payload['note']}" if payload.get("note") else "")
    counts = {"decided": 0, "skipped": 0, "claimed": 0}
    ids = list(payload["proof_ids"])
    done = set(db.session.scalars(sa.select(ReviewDecision.proof_id).where(
        ReviewDecision.idempotency_key.in_([f"bulk:{request.id}:{pid}" for pid in ids]))))
    for pid in ids:
        outcome = "skipped" if pid in done else \
            decide_one(pid, payload["decision"], payload.get("reason_code"), reach, note, now)
        if outcome == "decided":
            db.session.flush()
            latest = db.session.scalar(sa.select(ReviewDecision).where(ReviewDecision.proof_id == pid)
                                       .order_by(ReviewDecision.id.desc()).limit(1))
            latest.idempotency_key = f"bulk:{request.id}:{pid}"
        counts[outcome] += 1
    db.session.flush()
    return counts


def decide_one(proof_id: str, decision: str, reason_code: str | None, reach: Reach, note: str,
               now: datetime) -> str:
    """One proof of a bulk action or a sanction, with the checks a decision from the queue makes:
    "decided", "claimed" (someone else is deciding it now) or "skipped" (already decided, or the
    senior queue's and not theirs)."""
    proof = db.session.get(Proof, proof_id)
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == proof_id))
    if proof is None or proof.state not in DECIDABLE or (item is not None and item.status == "decided"):
        return "skipped"
    if item is not None:
        held = item.status == "claimed" and item.claimed_at and item.claimed_at >= claim_cutoff(now)
        if held and item.claimed_by not in reach.allowed:
            return "claimed"  # someone is deciding it right now; their decision stands
        if item.queue == "senior" and (decision == "escalated" or not reach.senior_ok):
            return "skipped"
        if item.queue == "senior" and not reach.second_senior and escalated_item(item.id, reach.requester.id):
            return "skipped"
    decide(proof, decision, actor=reach.requester, reason_code=reason_code, note=note)
    return "decided"


def pending_proofs_of(worker_id: str, campaign_ids: list[str] | None = None) -> list[str]:
    """The worker's proofs still waiting for a decision (within these campaigns when given)."""
    query = sa.select(Proof.id).outerjoin(ReviewItem, ReviewItem.proof_id == Proof.id).where(
        Proof.worker_id == worker_id, Proof.state.in_(DECIDABLE),
        sa.or_(ReviewItem.status.is_(None), ReviewItem.status != "decided"))
    if campaign_ids is not None:
        query = query.where(Proof.campaign_id.in_(campaign_ids))
    return list(db.session.scalars(query.order_by(Proof.id)))


def selection(proof_ids: list[str]) -> Preview:
    """What a bulk action over proofs ticked in a queue list touches (like a cluster's preview)."""
    chosen = list(dict.fromkeys(pid for pid in proof_ids if pid))[:MAX_SELECTION]
    rows = db.session.execute(
        sa.select(Proof.id, Proof.worker_id, Campaign.reward_cents).join(Campaign, Campaign.id == Proof.campaign_id)
        .outerjoin(ReviewItem, ReviewItem.proof_id == Proof.id)
        .where(Proof.id.in_(chosen), Proof.state.in_(DECIDABLE),
               sa.or_(ReviewItem.status.is_(None), ReviewItem.status != "decided"))).all()
    waiting = {r.id: r for r in rows}
    pending = [waiting[pid] for pid in chosen if pid in waiting]
    return Preview(proofs=len(pending), workers=len({r.worker_id for r in pending}),
                   cents=sum(r.reward_cents for r in pending), skipped=len(chosen) - len(pending),
                   proof_ids=tuple(r.id for r in pending))

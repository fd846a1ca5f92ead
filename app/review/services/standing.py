"""Sanctions on workers: restrict (no new tasks), suspend, ban; each with a scope and a duration.

A sanction is lifted by a new audited action (revoke), never by deleting it. A banned worker's new
proofs are held on arrival: intake calls `hold_new_proofs`, which escalates them to the senior
queue with a system decision, the one queue whose items the scorer never approves by policy.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.platform.audit import record
from app.platform.i18n import _
from app.review.services.decisions import DECIDABLE, ReviewError, decide
from app.review.services.reasons import usable
from models import Campaign, ModerationRequest, Proof, StaffUser, Worker, WorkerSanction, db
from models.moderation import SANCTION_KINDS, SANCTION_SCOPES

PENDING_DECISIONS = ("", "rejected", "escalated")
SEVERITY = {"restrict": 1, "suspend": 2, "ban": 3}
HOLD_NOTE = "held on arrival: the worker is banned"


@dataclass(frozen=True)
class SanctionOrder:
    worker_id: str
    kind: str
    scope: str
    scope_id: str | None
    days: int | None  # None: until revoked
    reason: str
    pending_decision: str = ""  # also decide the worker's pending proofs in scope: rejected / escalated
    reason_code: str | None = None

    def as_payload(self) -> dict:
        return {"worker_id": self.worker_id, "kind": self.kind, "scope": self.scope, "scope_id": self.scope_id,
                "days": self.days, "reason": self.reason, "pending_decision": self.pending_decision,
                "reason_code": self.reason_code}


def check_order(order: SanctionOrder) -> None:
    if db.session.get(Worker, order.worker_id) is None:
        raise ReviewError(_("no worker %(id)s", id=order.worker_id))
    if order.kind not in SANCTION_KINDS:
        raise ReviewError(_("kind: choose restrict, suspend or ban"))
    if order.scope not in SANCTION_SCOPES:
        raise ReviewError(_("scope: choose platform, brand or campaign"))
    if order.scope != "platform" and not order.scope_id:
        raise ReviewError(_("scope: name the campaign or brand"))
    if order.days is not None and not 1 <= order.days <= 3650:
        raise ReviewError(_("duration: between 1 and 3650 days, or leave it empty for no end"))
    if not order.reason.strip():
        raise ReviewError(_("reason: say why, the worker's appeal will be read against it"))
    if order.pending_decision not in PENDING_DECISIONS:
        raise ReviewError(_("pending proofs: reject, escalate or leave them"))
    if order.pending_decision == "rejected" and not usable(order.reason_code):
        raise ReviewError(_("reason_code: rejecting the pending proofs needs one reason code"))


def scope_campaigns(scope: str, scope_id: str | None) -> list[str] | None:
    """Campaign ids a scope covers (None: every campaign)."""
    if scope == "campaign":
        return [scope_id] if scope_id else []
    if scope == "brand":
        return list(db.session.scalars(sa.select(Campaign.id).where(Campaign.brand_id == scope_id)))
    return None


def four_eyes_reason(order: SanctionOrder) -> str | None:
    return _("a ban needs a second reviewer") if order.kind == "ban" else None


def apply_sanction(request: ModerationRequest, now: datetime) -> dict:
    """Put the sanction in force and, if asked, decide the worker's pending proofs in its scope."""
    from app.review.services.bulk import decide_one, pending_proofs_of, reach_of

    order = SanctionOrder(**request.payload)
    sanction = WorkerSanction(worker_id=order.worker_id, kind=order.kind, scope=order.scope, scope_id=order.scope_id,
                              reason=order.reason, starts_at=now,
                              ends_at=now + timedelta(days=order.days) if order.days else None,
                              created_by=request.requested_by, request_id=request.id)
    db.session.add(sanction)
    db.session.flush()
    record(f"worker.{order.kind}", "worker", order.worker_id, actor=db.session.get(StaffUser, request.requested_by),
           data={**order.as_payload(), "sanction_id": sanction.id, "request_id": request.id,
                 "approved_by": request.reviewed_by})
    outcomes = {"decided": 0, "skipped": 0, "claimed": 0}
    if order.pending_decision:
        # each proof with the checks of a decision from the queue: the senior queue, live claims, four eyes
        reach = reach_of(request)
        for pid in pending_proofs_of(order.worker_id, scope_campaigns(order.scope, order.scope_id)):
            outcomes[decide_one(pid, order.pending_decision, order.reason_code, reach,
                                f"worker {order.kind} #{sanction.id}", now)] += 1
    db.session.flush()
    return {"sanction_id": sanction.id, **outcomes}


def revoke(sanction: WorkerSanction, user: StaffUser, reason: str, now: datetime) -> None:
    """Lift a sanction; the sanction row keeps who lifted it, when and why."""
    if sanction.revoked_at is not None:
        raise ReviewError(_("this sanction was already lifted"))
    if not reason.strip():
        raise ReviewError(_("reason: say why the sanction is lifted"))
    sanction.revoked_at, sanction.revoked_by, sanction.revoke_reason = now, user.id, reason.strip()
    record(f"worker.{sanction.kind}_lifted", "worker", sanction.worker_id, actor=user,
           data={"sanction_id": sanction.id, "reason": reason.strip()})
    db.session.flush()


def sanctions_of(worker_id: str) -> list[WorkerSanction]:
    return list(db.session.scalars(sa.select(WorkerSanction).where(WorkerSanction.worker_id == worker_id)
                                   .order_by(WorkerSanction.starts_at.desc(), WorkerSanction.id.desc())))


def in_force(worker_ids: list[str], now: datetime) -> list[WorkerSanction]:
    if not worker_ids:
        return []
    return list(db.session.scalars(sa.select(WorkerSanction).where(
        WorkerSanction.worker_id.in_(worker_ids), WorkerSanction.revoked_at.is_(None),
        WorkerSanction.starts_at <= now, sa.or_(WorkerSanction.ends_at.is_(None), WorkerSanction.ends_at > now))))


def standing(worker_id: str, now: datetime) -> dict | None:
    """What the platform's apps need to decide whether to hand this worker a task (None: no such worker)."""
    if db.session.get(Worker, worker_id) is None:
        return None
    active = sorted(in_force([worker_id], now), key=lambda s: (-SEVERITY[s.kind], s.id))
    platform = [s for s in active if s.scope == "platform"]
    status = platform[0].kind if platform else "good"
    return {
        "worker_id": worker_id,
        "status": {"restrict": "restricted", "suspend": "suspended", "ban": "banned"}.get(status, status),
        "may_take_tasks": not platform,
        "sanctions": [{
            "id": s.id, "kind": s.kind, "scope": s.scope, "scope_id": s.scope_id,
            "starts_at": s.starts_at.isoformat(), "ends_at": s.ends_at.isoformat() if s.ends_at else None,
        } for s in active],
    }


def banned_for(proofs: list[tuple[str, str, str]], now: datetime) -> set[str]:
    """Ids among (proof, worker, campaign) whose worker has a ban in force covering that campaign."""
    bans = [s for s in in_force(sorted({w for _, w, _ in proofs}), now) if s.kind == "ban"]
    if not bans:
        return set()
    brands = dict(db.session.execute(sa.select(Campaign.id, Campaign.brand_id)
                                     .where(Campaign.id.in_({c for _, _, c in proofs}))).all())
    return {pid for pid, worker, campaign in proofs
            if any(ban.worker_id == worker and _covers(ban, campaign, brands.get(campaign)) for ban in bans)}


def _covers(sanction: WorkerSanction, campaign: str, brand: str | None) -> bool:
    return sanction.scope == "platform" or sanction.scope_id == (campaign if sanction.scope == "campaign" else brand)


HOLD_CHUNK = 900  # ids per lookup: under SQLite's bound-parameter limit


def hold_new_proofs(proof_ids: list[str], now: datetime) -> list[str]:
    """Hold the new proofs of banned workers for a senior moderator; returns the ids held.

    Called by the API for every batch and by the importer for a whole world: with no ban in force
    anywhere (the usual case) it reads nothing per proof."""
    if not proof_ids or not _any_ban(now):
        return []
    held: list[str] = []
    for start in range(0, len(proof_ids), HOLD_CHUNK):
        rows = db.session.execute(sa.select(Proof.id, Proof.worker_id, Proof.campaign_id).where(
            Proof.id.in_(proof_ids[start:start + HOLD_CHUNK]), Proof.state.in_(DECIDABLE))).all()
        held.extend(sorted(banned_for([tuple(r) for r in rows], now)))
    for pid in held:
        decide(db.session.get(Proof, pid), "escalated", actor=None, actor_kind="system", note=HOLD_NOTE)
    return held


def _any_ban(now: datetime) -> bool:
    return db.session.scalar(sa.select(WorkerSanction.id).where(
        WorkerSanction.kind == "ban", WorkerSanction.revoked_at.is_(None), WorkerSanction.starts_at <= now,
        sa.or_(WorkerSanction.ends_at.is_(None), WorkerSanction.ends_at > now)).limit(1)) is not None

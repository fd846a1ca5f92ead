"""Everything a moderator reads before deciding one proof, gathered with indexed lookups only.

The raw IP is decrypted only to be masked here; the masked form is all that leaves this module.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.platform.i18n import _, _l
from app.platform.pii import PiiKeyError, PiiVault, mask_ip
from app.review.services.queue import claim_cutoff
from app.scoring.services.staleness import ScoreOrigin, score_origin
from models import (
    AuditEvent,
    Brand,
    Campaign,
    LiveSession,
    NotFound,
    Proof,
    ProofScore,
    ReviewDecision,
    ReviewItem,
    Room,
    StaffUser,
    Worker,
    db,
)

LINK_SCAN = 500  # other proofs read per shared key; beyond that the counts show as "500+"
LINK_SHOWN = 8
LINK_KEYS = (
    ("ip_hash", _l("Same IP address")),
    ("ip_prefix_hash", _l("Same /24 network")),
    ("device_fp_hash", _l("Same device fingerprint")),
    ("device_canvas_hash", _l("Same canvas (hardware) hash")),
    ("screenshot_sha256", _l("Same screenshot file")),
)
APPROVED_STATES = ("approved", "settled")
REJECTED_STATES = ("rejected", "clawed_back")
TIMELINE_AUDIT = ("proof.reopened", "proof.qa_confirmed")


@dataclass
class LinkedWorker:
    worker_id: str
    shared_proofs: int
    rejected: int = 0
    decided: int = 0


@dataclass
class LinkGroup:
    label: str
    key: str
    workers: int
    proofs: int
    capped: bool
    top: list[LinkedWorker] = field(default_factory=list)


@dataclass
class Timing:
    elapsed_seconds: float
    active_seconds: float | None
    watch_seconds: int | None
    min_watch_seconds: int | None
    session: LiveSession | None
    room_has_sessions: bool

    @property
    def watch_exceeds_elapsed(self) -> bool:
        return self.watch_seconds is not None and self.watch_seconds > self.elapsed_seconds

    @property
    def below_minimum(self) -> bool:
        return bool(self.min_watch_seconds) and (self.watch_seconds or 0) < (self.min_watch_seconds or 0)


@dataclass
class WorkerHistory:
    worker: Worker | None
    account_age_days: float | None
    by_state: dict[str, int]
    recent: list[tuple[str, ReviewDecision]]

    @property
    def decided(self) -> int:
        return sum(self.by_state.get(s, 0) for s in APPROVED_STATES + REJECTED_STATES)

    @property
    def approval_rate(self) -> float | None:
        if not self.decided:
            return None
        return sum(self.by_state.get(s, 0) for s in APPROVED_STATES) / self.decided


@dataclass
class TimelineEntry:
    at: datetime
    what: str
    who: str
    reason_code: str | None = None
    note: str | None = None


@dataclass
class ProofEvidence:
    proof: Proof
    score: ProofScore | None
    item: ReviewItem | None
    campaign: Campaign
    brand: Brand | None
    room: Room | None
    masked_ip: str
    timing: Timing
    history: WorkerHistory
    links: list[LinkGroup]
    timeline: list[TimelineEntry]
    claimer: StaffUser | None
    claim_active: bool
    explanation: list[tuple[str, Any]]
    origin: ScoreOrigin | None = None  # the versions behind the score, against the active ones

    @property
    def signals(self) -> list[dict]:
        """Stored signals, strongest first (entries without a code are skipped)."""
        found = [s for s in (self.score.signals or [])] if self.score else []
        return sorted((s for s in found if isinstance(s, dict) and s.get("code")),
                      key=lambda s: -_number(s.get("score")))

    @property
    def region_mismatch(self) -> bool:
        region = self.history.worker.region if self.history.worker else None
        country = self.proof.ip_country
        return bool(region and country) and region.split("-")[0].upper() != country.upper()


def proof_evidence(proof_id: str, vault: PiiVault, now: datetime) -> ProofEvidence:
    """Load one proof with its score, context, linked accounts, worker history and decisions."""
    proof = db.session.get(Proof, proof_id)
    if proof is None:
        raise NotFound(_("no proof %(proof)r", proof=proof_id))
    campaign = db.session.get(Campaign, proof.campaign_id)
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == proof.id))
    claimer = db.session.get(StaffUser, item.claimed_by) if item and item.claimed_by else None
    claim_active = bool(item and item.status == "claimed" and item.claimed_at
                        and item.claimed_at >= claim_cutoff(now))
    score = db.session.get(ProofScore, proof.id)
    return ProofEvidence(
        proof=proof, score=score, item=item, campaign=campaign,
        brand=db.session.get(Brand, campaign.brand_id), room=db.session.get(Room, campaign.room_id),
        masked_ip=masked_ip(proof, vault), timing=timing(proof, campaign),
        history=worker_history(proof, now), links=linked_accounts(proof), timeline=timeline(proof.id),
        claimer=claimer if claim_active else None, claim_active=claim_active,
        explanation=explanation_rows(score.explanation if score else None),
        origin=score_origin(score) if score else None)


def masked_ip(proof: Proof, vault: PiiVault) -> str:
    try:
        return mask_ip(vault.decrypt(proof.ip_enc))
    except PiiKeyError:
        return "— (encrypted with a retired key)"


def timing(proof: Proof, campaign: Campaign) -> Timing:
    """Elapsed time against the claimed watch time, and whether the room was live at submission."""
    session = db.session.scalar(sa.select(LiveSession).where(
        LiveSession.room_id == campaign.room_id, LiveSession.starts_at <= proof.submitted_at,
        LiveSession.ends_at >= proof.submitted_at).limit(1))
    has_sessions = session is not None or db.session.scalar(
        sa.select(LiveSession.id).where(LiveSession.room_id == campaign.room_id).limit(1)) is not None
    active = (proof.submitted_at - proof.started_at).total_seconds() if proof.started_at else None
    return Timing(elapsed_seconds=(proof.submitted_at - proof.accepted_at).total_seconds(), active_seconds=active,
                  watch_seconds=proof.watch_seconds, min_watch_seconds=campaign.min_watch_seconds,
                  session=session, room_has_sessions=has_sessions)


def worker_history(proof: Proof, now: datetime, recent: int = 8) -> WorkerHistory:
    """The worker's other proofs by state and their latest decisions."""
    worker = db.session.get(Worker, proof.worker_id)
    by_state = dict(db.session.execute(
        sa.select(Proof.state, sa.func.count()).where(Proof.worker_id == proof.worker_id, Proof.id != proof.id)
        .group_by(Proof.state)).all())
    latest = db.session.execute(
        sa.select(Proof.id, ReviewDecision).join(ReviewDecision, ReviewDecision.proof_id == Proof.id)
        .where(Proof.worker_id == proof.worker_id, Proof.id != proof.id)
        .order_by(ReviewDecision.decided_at.desc(), ReviewDecision.id.desc()).limit(recent)).all()
    age = (now - worker.created_at).total_seconds() / 86400 if worker else None
    return WorkerHistory(worker=worker, account_age_days=age, by_state=by_state,
                         recent=[(pid, decision) for pid, decision in latest])


def linked_accounts(proof: Proof) -> list[LinkGroup]:
    """Other workers sharing an IP, /24, device or screenshot with this proof (bounded index lookups)."""
    groups = []
    for key, label in LINK_KEYS:
        value = getattr(proof, key)
        if not value:
            continue
        column = getattr(Proof, key)
        workers = list(db.session.scalars(
            sa.select(Proof.worker_id).where(column == value, Proof.id != proof.id).limit(LINK_SCAN + 1)))
        capped = len(workers) > LINK_SCAN
        others = Counter(w for w in workers[:LINK_SCAN] if w != proof.worker_id)
        groups.append(LinkGroup(
            label=label, key=key, workers=len(others), proofs=sum(others.values()), capped=capped,
            top=[LinkedWorker(w, n) for w, n in others.most_common(LINK_SHOWN)]))
    _add_outcomes([w for g in groups for w in g.top])
    return groups


def _add_outcomes(linked: list[LinkedWorker]) -> None:
    """How the linked workers' own proofs were decided (one grouped query)."""
    ids = sorted({w.worker_id for w in linked})
    if not ids:
        return
    outcome: dict[str, tuple[int, int]] = {}
    rows = db.session.execute(
        sa.select(Proof.worker_id, Proof.state, sa.func.count())
        .where(Proof.worker_id.in_(ids), Proof.state.in_(APPROVED_STATES + REJECTED_STATES))
        .group_by(Proof.worker_id, Proof.state)).all()
    for worker_id, state, count in rows:
        rejected, decided = outcome.get(worker_id, (0, 0))
        outcome[worker_id] = (rejected + (count if state in REJECTED_STATES else 0), decided + count)
    for w in linked:
        w.rejected, w.decided = outcome.get(w.worker_id, (0, 0))


def timeline(proof_id: str) -> list[TimelineEntry]:
    """Decisions on this proof and QA events, oldest first."""
    entries = []
    for decision, name in db.session.execute(
            sa.select(ReviewDecision, StaffUser.name).outerjoin(StaffUser, StaffUser.id == ReviewDecision.actor_id)
            .where(ReviewDecision.proof_id == proof_id)):
        entries.append(TimelineEntry(decision.decided_at, decision.decision, name or decision.actor_kind,
                                     decision.reason_code, decision.note))
    for event in db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.object_type == "proof", AuditEvent.object_id == proof_id,
            AuditEvent.action.in_(TIMELINE_AUDIT))):
        entries.append(TimelineEntry(event.at, event.action.split(".", 1)[1].replace("_", " "), event.actor_label,
                                     note=(event.data or {}).get("note")))
    return sorted(entries, key=lambda e: e.at)


def explanation_rows(explanation: Any) -> list[tuple[str, Any]]:
    """Model feature contributions as (feature, value), whatever shape the scorer stored."""
    if not explanation:
        return []
    if isinstance(explanation, dict):
        return sorted(explanation.items(), key=lambda kv: -abs(_number(kv[1])))
    rows = []
    for entry in explanation:
        if isinstance(entry, dict):
            name = entry.get("feature") or entry.get("name") or entry.get("code") or "?"
            value = next((entry[k] for k in ("contribution", "value", "weight", "shap") if k in entry), None)
            rows.append((str(name), value))
        elif isinstance(entry, (list, tuple)) and len(entry) == 2:
            rows.append((str(entry[0]), entry[1]))
    return sorted(rows, key=lambda kv: -abs(_number(kv[1])))


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0

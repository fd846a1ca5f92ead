"""Entity-level relief without editing rules: mute one signal (or allowlist an entity) for one worker,
address, device or campaign for a set time, with a reason; lift it early; list what is in force.

Moderators give relief from a proof (`mute_from_proof`: the entity is that proof's worker, address,
device or campaign), operators from their list page or `flask relief mute`. Every change writes its
audit row in the caller's transaction. After committing, the caller queues the rescoring of the
entity's undecided proofs (`undecided_proof_ids`, then app.scoring.jobs.enqueue_scoring), so the
queue reflects the relief at once; proofs already decided keep their score. When a mute ends (it
expires, or is lifted and the rescore queued after the commit was lost), the proofs still waiting
that were scored while it was in force are owed a rescore: `ended_relief_ids` reads them from the
tables, and the reconciler rescores them, so the signal counts again before a person or settlement
acts on a score it was left out of.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.platform.audit import record
from app.platform.i18n import _, ngettext
from app.platform.paging import NewestFirst, newest_first
from app.scoring.services.staleness import WAITING_STATES, policy_approval_in_hold
from models import (
    AuditEvent,
    Campaign,
    DomainError,
    NotFound,
    Proof,
    ProofScore,
    SignalMute,
    StaffUser,
    Worker,
    db,
    utcnow,
)
from review_rules.registry import all_signals
from review_rules.relief import ALLOWLIST, ENTITY_COLUMNS, ENTITY_KINDS

MAX_HOURS = 24 * 365
# How long after a mute ended its entity's waiting proofs are still looked at (bounds the reconciler's
# reading; a proof waits in review days, not months).
ENDED_LOOKBACK = timedelta(days=30)
RESCORE_FAILED = "proof.rescore_failed"
STATES = ("active", "expired", "lifted")


class ReliefError(DomainError):
    status_code = 422


DURATION_HOURS = (4, 24, 72, 168, 720, 2160)
DEFAULT_HOURS = 168


def duration_choices() -> list[tuple[str, str]]:
    """(hours, label) for the relief forms' duration lists."""
    return [(str(h), ngettext("%(num)d hour", "%(num)d hours", h) if h < 24 else
             ngettext("%(num)d day", "%(num)d days", h // 24)) for h in DURATION_HOURS]


def entity_choices() -> list[tuple[str, str]]:
    """(kind, label) of the entities relief is given to."""
    return [("worker", _("this worker")), ("address", _("this address")), ("device", _("this device")),
            ("campaign", _("this campaign"))]


def signal_codes() -> list[str]:
    return [spec.code for spec in all_signals()]


def entity_of(proof: Proof, kind: str) -> str:
    """The value of `proof`'s entity of `kind` that a mute matches on (ids, or keyed hashes)."""
    if kind not in ENTITY_KINDS:
        raise ReliefError(_("unknown entity kind %(kind)r", kind=kind))
    value = getattr(proof, ENTITY_COLUMNS[kind])
    if not value:
        raise ReliefError(_("proof %(proof)s has no %(kind)s to relieve", proof=proof.id, kind=kind))
    return str(value)


def resolve_entity(kind: str, given: str) -> tuple[str, str | None]:
    """(entity value, source proof) from what a person typed: a worker or campaign id, or for an
    address or device the id of a proof that used it (nobody types a keyed hash)."""
    given = (given or "").strip()
    if kind in ("worker", "campaign"):
        model = Worker if kind == "worker" else Campaign
        if db.session.get(model, given) is None:
            raise NotFound(_("no %(kind)s %(id)r", kind=kind, id=given))
        return given, None
    proof = db.session.get(Proof, given)
    if proof is None:
        raise NotFound(_("no proof %(proof)r", proof=given))
    return entity_of(proof, kind), proof.id


def create_mute(*, signal_code: str, entity_kind: str, entity_value: str, hours: int, reason: str,
                actor: StaffUser | None, source_proof_id: str | None = None,
                now: datetime | None = None) -> SignalMute:
    """Mute `signal_code` (ALLOWLIST: the linkage signals) for the entity for `hours`; audited, flushed."""
    reason = (reason or "").strip()
    if signal_code != ALLOWLIST and signal_code not in signal_codes():
        raise ReliefError(_("unknown signal code %(code)r", code=signal_code))
    if entity_kind not in ENTITY_KINDS:
        raise ReliefError(_("unknown entity kind %(kind)r", kind=entity_kind))
    if not entity_value:
        raise ReliefError(_("say which entity to relieve"))
    if not 1 <= int(hours) <= MAX_HOURS:
        raise ReliefError(_("a mute lasts from 1 hour to %(n)d hours", n=MAX_HOURS))
    if not reason:
        raise ReliefError(_("say why the signal should not count"))
    now = now or utcnow()
    mute = SignalMute(signal_code=signal_code, entity_kind=entity_kind, entity_value=entity_value,
                      source_proof_id=source_proof_id, reason=reason, created_by=actor.id if actor else None,
                      created_at=now, expires_at=now + timedelta(hours=int(hours)))
    db.session.add(mute)
    db.session.flush()
    record("relief.allowlisted" if signal_code == ALLOWLIST else "relief.muted", "signal_mute", str(mute.id),
           actor=actor, actor_label=None if actor else "cli", reason=reason,
           data={"signal": signal_code, "entity_kind": entity_kind, "entity": _shown(entity_kind, entity_value),
                 "source_proof": source_proof_id, "hours": int(hours), "expires_at": mute.expires_at.isoformat()})
    return mute


def mute_from_proof(proof_id: str, *, signal_code: str, entity_kind: str, hours: int, reason: str,
                    actor: StaffUser | None, now: datetime | None = None) -> SignalMute:
    """Relief given from one proof: the entity is this proof's worker, address, device or campaign."""
    proof = db.session.get(Proof, proof_id)
    if proof is None:
        raise NotFound(_("no proof %(proof)r", proof=proof_id))
    return create_mute(signal_code=signal_code, entity_kind=entity_kind, entity_value=entity_of(proof, entity_kind),
                       hours=hours, reason=reason, actor=actor, source_proof_id=proof.id, now=now)


def lift_mute(mute_id: int, *, actor: StaffUser | None, reason: str, now: datetime | None = None) -> SignalMute:
    """End a mute before it expires; audited, flushed."""
    reason = (reason or "").strip()
    mute = db.session.get(SignalMute, mute_id)
    if mute is None:
        raise NotFound(_("no mute #%(id)s", id=mute_id))
    now = now or utcnow()
    if mute.state(now) != "active":
        raise ReliefError(_("mute #%(id)s is already %(state)s", id=mute_id, state=mute.state(now)))
    if not reason:
        raise ReliefError(_("say why the mute is lifted"))
    mute.lifted_at, mute.lifted_by, mute.lift_reason = now, actor.id if actor else None, reason
    db.session.flush()
    record("relief.lifted", "signal_mute", str(mute.id), actor=actor, actor_label=None if actor else "cli",
           reason=reason, data={"signal": mute.signal_code, "entity_kind": mute.entity_kind,
                                "entity": _shown(mute.entity_kind, mute.entity_value)})
    return mute


def _shown(kind: str, value: str) -> str:
    """An entity as the audit trail and the pages show it: ids whole, keyed hashes shortened."""
    return value if kind in ("worker", "campaign") else value[:12]


@dataclass(frozen=True)
class MuteFilters:
    state: str = "active"  # active, expired, lifted or all
    entity_kind: str | None = None
    signal_code: str | None = None
    entity: str | None = None  # worker or campaign id, or the proof an address or device came from


def list_mutes(filters: MuteFilters, now: datetime | None = None, limit: int = 200) -> list[SignalMute]:
    """Mutes matching `filters`, newest first (the first `limit`)."""
    return mute_page(filters, None, now, size=limit).rows


def mute_page(filters: MuteFilters, before: int | None, now: datetime | None = None, size: int = 100) -> NewestFirst:
    """One page of the mutes matching `filters`, newest first."""
    return newest_first(_matching(filters, now or utcnow()), SignalMute.id, before, size)


def _matching(filters: MuteFilters, now: datetime) -> sa.Select:
    m = SignalMute
    query = sa.select(m)
    if filters.state == "active":
        query = query.where(m.lifted_at.is_(None), m.expires_at > now)
    elif filters.state == "expired":
        query = query.where(m.lifted_at.is_(None), m.expires_at <= now)
    elif filters.state == "lifted":
        query = query.where(m.lifted_at.is_not(None))
    if filters.entity_kind:
        query = query.where(m.entity_kind == filters.entity_kind)
    if filters.signal_code:
        query = query.where(m.signal_code == filters.signal_code)
    if filters.entity:
        query = query.where(sa.or_(m.entity_value == filters.entity, m.source_proof_id == filters.entity))
    return query


def mutes_for_proof(proof: Proof, now: datetime | None = None) -> list[SignalMute]:
    """The mutes in force on any of `proof`'s entities (the proof page lists them)."""
    pairs = [(kind, getattr(proof, column)) for kind, column in ENTITY_COLUMNS.items() if getattr(proof, column)]
    m = SignalMute
    return list(db.session.scalars(sa.select(m).where(
        m.lifted_at.is_(None), m.expires_at > (now or utcnow()),
        sa.or_(*(sa.and_(m.entity_kind == kind, m.entity_value == value) for kind, value in pairs)))
        .order_by(m.id)))


def undecided_proof_ids(mute: SignalMute, hold_hours: int, now: datetime | None = None) -> list[str]:
    """Proofs of the mute's entity still waiting for a decision (queued, or approved by policy inside
    the settlement hold): the ones whose score the relief should change now."""
    proofs = Proof.__table__
    column = proofs.c[ENTITY_COLUMNS[mute.entity_kind]]
    return list(db.session.scalars(sa.select(proofs.c.id).where(
        column == mute.entity_value, _waiting(proofs, now or utcnow(), hold_hours)).order_by(proofs.c.id)))


def _waiting(proofs: sa.Table, now: datetime, hold_hours: int) -> sa.ColumnElement[bool]:
    cutoff = now - timedelta(hours=hold_hours)
    return sa.or_(proofs.c.state.in_(WAITING_STATES), policy_approval_in_hold(proofs, cutoff))


def ended_relief_ids(now: datetime, hold_hours: int, limit: int | None = None) -> list[str]:
    """Proofs still waiting (as `undecided_proof_ids` means it) whose score was made while a mute on one
    of their entities was in force, that mute having ended since (expired or lifted, within
    ENDED_LOOKBACK), in id order. A rescore takes a proof off the list: its score is then newer than
    the mute's end."""
    proofs, scores, mutes = Proof.__table__, ProofScore.__table__, SignalMute.__table__
    ended = sa.func.coalesce(mutes.c.lifted_at, mutes.c.expires_at)
    audit = AuditEvent.__table__
    gave_up = sa.exists().where(audit.c.object_type == "proof", audit.c.object_id == proofs.c.id,
                                audit.c.action == RESCORE_FAILED, audit.c.at >= ended)
    per_kind = [sa.select(proofs.c.id.label("id"))
                .select_from(mutes.join(proofs, proofs.c[column] == mutes.c.entity_value)
                             .join(scores, scores.c.proof_id == proofs.c.id))
                .where(mutes.c.entity_kind == kind, ended <= now, ended > now - ENDED_LOOKBACK,
                       scores.c.scored_at >= mutes.c.created_at, scores.c.scored_at < ended,
                       _waiting(proofs, now, hold_hours), ~gave_up)
                for kind, column in ENTITY_COLUMNS.items()]
    owed = sa.union(*per_kind).subquery()  # a proof under two ended mutes once
    query = sa.select(owed.c.id).order_by(owed.c.id)
    return list(db.session.scalars(query if limit is None else query.limit(limit)))


def rescore_failed(proof_id: str, error: str) -> bool:
    """A waiting proof whose rescore after a mute ended fails on it alone: audited (`proof.rescore_failed`),
    and `ended_relief_ids` no longer lists it for that mute, so the reconciler does not retry it every
    tick. It keeps its place in the queue and its score; a person decides it as it is."""
    record(RESCORE_FAILED, "proof", proof_id, actor_label="system", data={"error": error[:500]})
    db.session.flush()
    return True


def staff_names(mutes: list[SignalMute]) -> dict[int, str]:
    """Staff id -> name of the authors and lifters of `mutes`, for the lists."""
    ids = {i for m in mutes for i in (m.created_by, m.lifted_by) if i}
    if not ids:
        return {}
    return dict(db.session.execute(sa.select(StaffUser.id, StaffUser.name).where(StaffUser.id.in_(ids))).all())

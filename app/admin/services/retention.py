"""Retention: after the retention period, drop the raw address and device detail of decided proofs.

What goes: the encrypted IP address, the user agent and the raw device description (platform, OS,
screen, time zone, language, WebGL renderer, touch points, cores). What stays: the keyed hashes
(address, /24, device fingerprint, canvas), the country and network owner, the webdriver and
emulator flags, every score, review decision, ledger entry and audit row — so matching, scores,
decisions and money stay explainable without the raw detail.

Only proofs with a decision are purged: a proof still waiting for one (received, scored, in
review) may be rescored, and its score must not change because its evidence was dropped; the first
run after its decision purges it. Batches commit one by one (the job commits), each with its audit
row; a run that is stopped leaves purged rows marked (`pii_purged_at`) and the next run continues
with the rest, so running twice purges nothing twice.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.admin.services.settings import RETENTION_BATCH, RETENTION_DAYS, current
from app.platform.audit import record
from app.platform.i18n import stated
from models import Proof, ProofState, RetentionRun, StaffUser, db, utcnow

PROOFS = Proof.__table__
PURGED_COLUMNS = ("ip_enc", "user_agent", "device_platform", "device_os", "device_screen", "device_timezone",
                  "device_language", "device_webgl_renderer", "device_touch_points", "device_hardware_concurrency")
KEPT_COLUMNS = ("ip_hash", "ip_prefix_hash", "ip_version", "ip_country", "ip_asn_name", "ip_asn_cidr",
                "device_present", "device_fp_hash", "device_canvas_hash", "device_webdriver", "device_emulator")
UNDECIDED = (ProofState.RECEIVED.value, ProofState.SCORED.value, ProofState.IN_REVIEW.value)


def start_run(trigger: str, *, actor: StaffUser | None = None, now: datetime | None = None) -> RetentionRun:
    """A new run with its cutoff; a run still marked running was stopped (the caller holds the lock)."""
    now = now or utcnow()
    for stale in db.session.scalars(sa.select(RetentionRun).where(RetentionRun.status == "running")):
        stale.status, stale.finished_at = "interrupted", now
        stale.message = stated("stopped before it finished; a later run purged the rest")
    days = current(RETENTION_DAYS)
    run = RetentionRun(trigger=trigger, status="running", retention_days=days, cutoff=now - timedelta(days=days),
                       started_at=now, requested_by=actor.id if actor else None)
    db.session.add(run)
    db.session.flush()
    return run


def _due(cutoff: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(PROOFS.c.pii_purged_at.is_(None), PROOFS.c.submitted_at < cutoff,
                   PROOFS.c.state.not_in(UNDECIDED))


def purge_batch(run: RetentionRun, *, limit: int, after: tuple[datetime, str] | None = None,
                now: datetime | None = None) -> tuple[int, tuple[datetime, str] | None]:
    """Purge up to `limit` due proofs after the (submitted_at, id) position `after`; the caller commits.

    Returns (rows purged, position to continue from; None when nothing was left).
    """
    query = (sa.select(PROOFS.c.id, PROOFS.c.submitted_at).where(_due(run.cutoff))
             .order_by(PROOFS.c.submitted_at, PROOFS.c.id).limit(limit))
    if after is not None:
        at, proof_id = after
        query = query.where(sa.or_(PROOFS.c.submitted_at > at,
                                   sa.and_(PROOFS.c.submitted_at == at, PROOFS.c.id > proof_id)))
    rows = db.session.execute(query).all()
    if not rows:
        return 0, None
    ids = [row.id for row in rows]
    purged = db.session.execute(
        sa.update(PROOFS).where(PROOFS.c.id.in_(ids), _due(run.cutoff))  # a row decided-then-reopened is skipped
        .values({**dict.fromkeys(PURGED_COLUMNS), "pii_purged_at": now or utcnow()})).rowcount
    run.proofs_purged += purged
    run.batches += 1
    run.last_proof_id = ids[-1]
    record("retention.purged", "retention_run", str(run.id), actor_label="retention", data={
        "proofs": purged, "cutoff": run.cutoff.isoformat(), "first": ids[0], "last": ids[-1]})
    return purged, (rows[-1].submitted_at, rows[-1].id)


def finish_run(run: RetentionRun, status: str, message: str | None = None, now: datetime | None = None) -> None:
    run.status, run.finished_at, run.message = status, now or utcnow(), message
    if status == "done":
        record("retention.finished", "retention_run", str(run.id), actor_label="retention", data={
            "proofs": run.proofs_purged, "batches": run.batches, "cutoff": run.cutoff.isoformat(),
            "retention_days": run.retention_days, "trigger": run.trigger})


def batch_size() -> int:
    return current(RETENTION_BATCH)


def recent_runs(limit: int = 5) -> list[RetentionRun]:
    return list(db.session.scalars(sa.select(RetentionRun).order_by(RetentionRun.id.desc()).limit(limit)))


def due_count(now: datetime | None = None) -> int:
    """Proofs the next run would purge."""
    cutoff = (now or utcnow()) - timedelta(days=current(RETENTION_DAYS))
    return db.session.scalar(sa.select(sa.func.count()).select_from(PROOFS).where(_due(cutoff))) or 0

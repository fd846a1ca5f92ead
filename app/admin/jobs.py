"""The periodic jobs `flask scheduler` puts on RQ (app/admin/schedule.py), and the ones the admin
pages queue. Each is safe to run twice and safe to run in two places at once: the database says
what is left to do, and work that must not overlap holds a lock (app/platform/locks.py).
"""
from __future__ import annotations

import logging

from flask import current_app

from app.admin.services import reconcile as reconciling
from app.admin.services import retention
from app.admin.services.lost_tasks import end_lost_tasks
from app.compliance.services.scorecard import refresh_scorecards
from app.money.jobs import SETTLE_RUN, settle_approved
from app.platform.audit import record
from app.platform.hooks import PROOFS_SCORED, emit
from app.platform.i18n import stated
from app.platform.jobs import DEFAULT, SCORING, JobSpec, dispatcher, job
from app.platform.locks import LockTimeout, exclusive
from app.review.services.claims import release_expired_claims
from app.scoring.jobs import SYSTEMIC_FAILURES, enqueue_stale_rescore, score_isolating_failures
from app.scoring.services.relief import ended_relief_ids, rescore_failed
from models import StaffUser, db, utcnow

log = logging.getLogger(__name__)

RECONCILE = JobSpec(DEFAULT, timeout=10 * 60)
SCORE_BACKLOG = JobSpec(SCORING, timeout=3 * 3600)
RETENTION = JobSpec(DEFAULT, timeout=6 * 3600, result_ttl=7 * 24 * 3600)
HOUSEKEEPING = JobSpec(DEFAULT, timeout=30 * 60)
# Fixed job ids: however often the reconciler asks, one copy of each waits in the queue.
SCORE_BACKLOG_JOB = "reconcile-score-backlog"
SETTLEMENT_JOB = "reconcile-settlement"
RELIEF_RESCORE_JOB = "reconcile-relief-rescore"
RETENTION_JOB = "retention-run"


@job
def reconcile(grace_minutes: int | None = None) -> str:
    """Read what is owed from the database and queue the work for it: the unscored backlog (one
    `score_backlog` job) and settlement (one `settle_approved` run). Audited when it found any."""
    now = utcnow()
    if not dispatcher().synchronous and end_lost_tasks(dispatcher().job_state, now):
        db.session.commit()
    found = reconciling.backlog(now, current_app.config["SETTLEMENT_HOLD_HOURS"], grace_minutes)
    db.session.rollback()  # reading only; a long-open transaction would hold back vacuum
    if found.empty:
        return "nothing owed"
    queued = {}
    if found.unscored:
        queued["score_backlog"] = dispatcher().enqueue_once(score_backlog, grace_minutes, spec=SCORE_BACKLOG,
                                                            job_id=SCORE_BACKLOG_JOB)
    if found.settleable:
        queued["settle_approved"] = dispatcher().enqueue_once(settle_approved, spec=SETTLE_RUN,
                                                              job_id=SETTLEMENT_JOB)
    if found.relieved:
        queued["rescore_relieved"] = dispatcher().enqueue_once(rescore_relieved, spec=SCORE_BACKLOG,
                                                               job_id=RELIEF_RESCORE_JOB)
    if found.stale:  # its own Task (a progress bar on the operators' pages), as a publication's
        why = stated("reconciler: stale scores and no rescore under way")
        queued["rescore_stale"] = enqueue_stale_rescore(why).rq_job_id
    # Audited when it queued something: a proof that stays owed (a campaign short of escrow) would
    # otherwise write a row every tick, each taking the chain's lock every decision also waits for.
    if dispatcher().synchronous or any(job_id is not None for job_id in queued.values()):
        record("reconciler.requeued", "queue", ",".join(sorted(queued)), actor_label="reconciler", data={
            "unscored": found.unscored, "settleable": found.settleable, "stale": found.stale,
            "relieved": found.relieved,
            "already_queued": sorted(name for name, job_id in queued.items() if job_id is None)})
        db.session.commit()
    return f"unscored {found.unscored}, settleable {found.settleable}" + \
        (", ended relief rescore queued" if found.relieved else "") + (", stale rescore queued" if found.stale else "")


@job
def score_backlog(grace_minutes: int | None = None) -> int:
    """Score every accepted proof the grace period found unscored, batch by batch (a commit each);
    one run at a time, and a proof scored meanwhile by its own job is skipped. Returns how many."""
    try:
        with exclusive("score-backlog", 1.0, current_app.config["INSTANCE_DIR"]):
            return _score_backlog(grace_minutes)
    except LockTimeout:
        return 0  # another run is at it


@job
def rescore_relieved() -> int:
    """Rescore the waiting proofs scored under a mute that has ended since (relief.ended_relief_ids),
    batch by batch (a commit each), one run at a time: the muted signal counts again. Returns how many."""
    try:
        with exclusive("relief-rescore", 1.0, current_app.config["INSTANCE_DIR"]):
            return _rescore_relieved()
    except LockTimeout:
        return 0  # another run is at it


def _rescore_relieved() -> int:
    size = current_app.config["SCORING_BATCH_SIZE"]
    ids = ended_relief_ids(utcnow(), current_app.config["SETTLEMENT_HOLD_HOURS"])
    db.session.rollback()  # reading only, before the batches' own transactions
    rescored = 0
    for batch in (ids[start:start + size] for start in range(0, len(ids), size)):
        try:
            done = score_isolating_failures(batch, size, set_aside=rescore_failed)
        except Exception as exc:
            db.session.rollback()
            if len(batch) >= SYSTEMIC_FAILURES:  # nothing of a real batch scored: an outage, retried next tick
                raise
            # Too few to tell an outage from their own data. Unlike the backlog's unscored proofs, these
            # already wait before a person, so ending the retries loses nothing.
            for proof_id in batch:
                rescore_failed(proof_id, f"{type(exc).__name__}: {exc}")
            db.session.commit()
            continue
        rescored += done
        emit(PROOFS_SCORED, batch)  # a version in shadow follows, as after any scoring
    if rescored:
        log.info("rescored %d waiting proofs whose mute has ended", rescored)
    return rescored


class BacklogBatchesFailed(RuntimeError):
    """Some batches of the backlog could not be scored; the others were, and the next tick retries these."""


def _score_backlog(grace_minutes: int | None) -> int:
    size = current_app.config["SCORING_BATCH_SIZE"]
    cutoff, after, scored, failed = reconciling.grace_cutoff(utcnow(), grace_minutes), None, 0, []
    while ids := reconciling.unscored_ids(cutoff, limit=size, after=after):
        after = ids[-1]
        try:  # a proof scoring fails on alone goes to the hold queue; what fails here is the database
            scored += score_isolating_failures(ids, size)
        except Exception:  # noqa: BLE001 - one bad batch must not keep the rest of the backlog waiting
            db.session.rollback()
            log.exception("could not score the backlog batch %s..%s; the next reconciliation retries it",
                          ids[0], ids[-1])
            failed.append(f"{ids[0]}..{ids[-1]}")
    if scored:
        log.info("scored %d proofs whose scoring job was lost", scored)
    if failed:  # the job ends failed (visible in RQ's failed registry) after scoring everything else
        raise BacklogBatchesFailed(f"scored {scored}; batches that failed: {', '.join(failed)}")
    return scored


@job
def purge_expired_personal_data(trigger: str = "schedule", actor_id: int | None = None) -> str:
    """The retention run: purge what the retention period says, batch by batch, one run at a time."""
    try:
        with exclusive("retention", 1.0, current_app.config["INSTANCE_DIR"]):
            return _retention_run(trigger, actor_id)
    except LockTimeout:
        return "another retention run is in progress"


def _retention_run(trigger: str, actor_id: int | None) -> str:
    actor = db.session.get(StaffUser, actor_id) if actor_id else None
    run = retention.start_run(trigger, actor=actor)
    db.session.commit()
    run_id, size, after = run.id, retention.batch_size(), None
    try:
        while True:
            purged, after = retention.purge_batch(run, limit=size, after=after)
            db.session.commit()  # per batch: a stopped run keeps what it purged
            if after is None:
                break
        retention.finish_run(run, "done")
        db.session.commit()
    except Exception as exc:
        db.session.rollback()
        from models import RetentionRun

        failed = db.session.get(RetentionRun, run_id)
        retention.finish_run(failed, "failed", f"{type(exc).__name__}: {exc}")
        db.session.commit()
        raise
    return f"purged {run.proofs_purged} proofs submitted before {run.cutoff:%Y-%m-%d}"


def enqueue_retention(actor: StaffUser) -> str | None:
    """The admin's "run now": audited, committed, then queued (run at once without Redis)."""
    record("retention.run_requested", "retention_run", "next", actor=actor)
    db.session.commit()
    return dispatcher().enqueue_once(purge_expired_personal_data, "admin", actor.id, spec=RETENTION,
                                     job_id=RETENTION_JOB)


@job
def release_claims() -> int:
    """Give expired review claims back to the queue."""
    released = release_expired_claims(utcnow())
    db.session.commit()
    return len(released)


@job
def refresh_brand_scorecards() -> int:
    """Recompute rings and brand scorecards (what `flask brands refresh` does)."""
    scored = refresh_scorecards()
    record("brands.scorecards_refreshed", "brand", f"{scored} brands", actor_label="scheduler")
    db.session.commit()
    return scored

"""Scoring-area jobs: score new proofs, re-score a rejected fraud's linked accounts, train a model.

The database says what is unscored, so a lost queue is refilled by `flask score`. Training writes
its progress to a Task row the operator can watch.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from app.platform.audit import record
from app.platform.hooks import PROOFS_SCORED, emit
from app.platform.i18n import stated
from app.platform.jobs import SCORING, TRAINING, JobSpec, dispatcher, job
from app.platform.locks import exclusive
from app.scoring.services.feedback import linked_pending_proofs
from app.scoring.services.model_training import train_and_register
from app.scoring.services.scoring import rescore_stale, score_proofs, set_aside_unscorable
from app.scoring.services.staleness import active_versions, stale_count
from ml.train import NotEnoughLabels
from models import Proof, ProofScore, ProofState, StaffUser, Task, db, utcnow

log = logging.getLogger(__name__)

SCORE_BATCH = JobSpec(SCORING, timeout=30 * 60)


@job
def score_batch(proof_ids: list[str]) -> int:
    """Score one batch of proofs and commit; safe to run twice."""
    summary = score_proofs(proof_ids, batch_size=current_app.config["SCORING_BATCH_SIZE"])
    db.session.commit()
    emit(PROOFS_SCORED, proof_ids)
    return summary.scored


def enqueue_scoring(proof_ids: list[str]) -> list[str]:
    """Queue scoring in batches (one in-process run when there is no Redis). Commit first."""
    jobs = dispatcher()
    if not proof_ids:
        return []
    size = len(proof_ids) if jobs.synchronous else current_app.config["SCORING_BATCH_SIZE"]
    ids = []
    for start in range(0, len(proof_ids), size):
        job_id = jobs.enqueue(score_batch, proof_ids[start:start + size], spec=SCORE_BATCH)
        if job_id:
            ids.append(job_id)
    return ids


# Single proofs: one "score what is pending" run serves every request that came while it waited.
# A job per proof cost each request an RQ enqueue (six Redis commands) and the worker a job each;
# now a request sets PENDING_FLAG (one command) and queues a run only when none is waiting. The
# run clears the flag before it reads, so a proof committed before a failed `SET NX` is read by the
# run that flag belongs to, and one committed later queues the next run: none is left unscored.
SCORE_PENDING = JobSpec(SCORING, timeout=30 * 60, result_ttl=60)
PENDING_FLAG = "workbench:scoring:pending-run-queued"
# A run queued and then lost with its flag still set (a queue emptied by hand) holds new runs back
# at most this long; the reconciler finds anything older.
PENDING_FLAG_SECONDS = 60


def request_pending_scoring(proof_ids: list[str]) -> bool:
    """Call after committing new `received` proofs: make sure a pending-scoring run will read them.
    True when a run is queued or waiting; False without Redis, when the proofs were scored here and now."""
    jobs = dispatcher()
    if jobs.synchronous:
        return bool(enqueue_scoring(proof_ids))
    redis = jobs.redis()
    if not redis.set(PENDING_FLAG, "1", nx=True, ex=PENDING_FLAG_SECONDS):
        return True  # a run is waiting; it clears the flag before reading, so it will see these
    try:
        jobs.enqueue(score_pending, spec=SCORE_PENDING)
    except Exception:
        redis.delete(PENDING_FLAG)  # do not hold later requests back for a run that was never queued
        raise
    return True


def pending_ids(limit: int, after: str | None) -> list[str]:
    """Ids of `received` proofs without a score, in id order, above `after`."""
    query = sa.select(Proof.id).where(Proof.state == ProofState.RECEIVED.value,
                                      ~sa.exists().where(ProofScore.proof_id == Proof.id))
    if after is not None:
        query = query.where(Proof.id > after)
    return list(db.session.scalars(query.order_by(Proof.id).limit(limit)))


@job
def score_pending() -> int:
    """Score every received, unscored proof, batch by batch (a commit each); safe to run twice and
    alongside other scoring (of two scorings of one proof only one routes it)."""
    dispatcher().redis().delete(PENDING_FLAG)  # before reading (see above)
    size, after, scored = current_app.config["SCORING_BATCH_SIZE"], None, 0
    while ids := pending_ids(size, after):
        after = ids[-1]
        scored += score_isolating_failures(ids, size)
        emit(PROOFS_SCORED, ids)
    return scored


def score_isolating_failures(ids: list[str], size: int,
                             set_aside: Callable[[str, str], bool] = set_aside_unscorable) -> int:
    """Score `ids` (a commit per batch). A batch that fails is split in halves until the proofs it fails
    on stand alone; each is handed to `set_aside` (by default: to the hold queue unscored), so one proof
    scoring cannot handle does not keep thousands of others from review, run after run. Only while other
    proofs of the batch do score: when the first SYSTEMIC_FAILURES alone fail with none scored, the fault
    is not theirs (a database or model outage) and the batch's error is raised, to be retried whole."""
    try:
        scored = score_proofs(ids, batch_size=size).scored
        db.session.commit()
        return scored
    except Exception:
        db.session.rollback()
        if len(ids) == 1:
            raise
    failed: list[tuple[str, Exception]] = []
    scored = _bisect(ids, size, failed)
    if not scored:  # nothing of the batch scores: not the proofs' fault
        raise failed[-1][1]
    for proof_id, exc in failed:
        log.error("scoring failed on proof %s alone (%s); it is set aside", proof_id, exc)
        if set_aside(proof_id, f"{type(exc).__name__}: {exc}"):
            db.session.commit()
    return scored


SYSTEMIC_FAILURES = 3


def _bisect(ids: list[str], size: int, failed: list[tuple[str, Exception]], scored: int = 0) -> int:
    """Score the halves of `ids` (already failed together), collecting the proofs that fail alone."""
    for half in (ids[:len(ids) // 2], ids[len(ids) // 2:]):
        try:
            scored += score_proofs(half, batch_size=size).scored
            db.session.commit()
        except Exception as exc:
            db.session.rollback()
            if len(half) > 1:
                scored = _bisect(half, size, failed, scored)
                continue
            failed.append((half[0], exc))
            if not scored and len(failed) >= SYSTEMIC_FAILURES:
                raise
    return scored


# Feedback: a fraud rejection re-scores the pending proofs of every linked account at once.
RESCORE_LINKED = JobSpec(SCORING, timeout=30 * 60)
# Rejections for these reasons say "fraud"; a rejected but honest attempt links nobody.
FRAUD_REASONS = frozenset({"fraud_device_farm", "fraud_bot", "fraud_proxy", "fraud_ring",
                           "duplicate_screenshot", "duplicate_comment"})


@job
def rescore_linked(proof_id: str) -> int:
    """Re-score the in-review proofs of accounts linked to `proof_id`; safe to run twice."""
    ids = linked_pending_proofs(proof_id)
    if ids:
        score_proofs(ids, batch_size=current_app.config["SCORING_BATCH_SIZE"])
    db.session.commit()
    return len(ids)


def enqueue_linked_rescore(proof_id: str, reason_code: str | None = None) -> str | None:
    """Call after committing a rejection: queue the linked re-score when the reason is fraud.

    Returns the RQ job id (None when run in-process or when the reason is not fraud).
    """
    if reason_code is not None and reason_code not in FRAUD_REASONS:
        return None
    try:
        return dispatcher().enqueue(rescore_linked, proof_id, spec=RESCORE_LINKED,
                                    job_id=f"rescore-linked-{proof_id}")
    except Exception:  # noqa: BLE001 - the decision is committed; a lost re-score must not undo the answer
        db.session.rollback()
        log.exception("could not re-score the accounts linked to %s; `flask score --all` catches up", proof_id)
        return None


# Training on the `training` queue.
TRAIN_MODEL = JobSpec(TRAINING, timeout=3 * 3600, result_ttl=7 * 24 * 3600)
TASK_KIND = "train_model"


def _progress(task_id: int):  # noqa: ANN202 - (stage, percent) -> None
    """Write progress through its own connection, so the training transaction stays one unit."""
    def update(stage: str, percent: int) -> None:
        with db.engine.begin() as conn:
            conn.execute(sa.update(Task.__table__).where(Task.__table__.c.id == task_id)
                         .values(done=percent, message=stage))
    return update


@job
def train_model(task_id: int, force: bool = False, actor_id: int | None = None) -> str | None:
    """Train, compare, maybe promote; the Task row says how it went. A finished task is not rerun."""
    task = db.session.get(Task, task_id)
    if task is None or task.status in ("done", "failed"):
        return None
    task.status, task.total = "running", 100
    db.session.commit()
    actor = db.session.get(StaffUser, actor_id) if actor_id else None
    try:
        report = train_and_register(current_app.config["MODEL_DIR"], force=force, actor=actor,
                                    progress=_progress(task_id))
    except NotEnoughLabels as exc:
        db.session.rollback()
        _finish(task_id, "failed", stated("not enough labels: %(why)s", why=str(exc)))
        return None
    except Exception as exc:
        db.session.rollback()
        _finish(task_id, "failed", stated("training failed: %(why)s", why=str(exc)))
        raise
    task = db.session.get(Task, task_id)
    task.status, task.done, task.finished_at = "done", 100, utcnow()
    task.message = (stated("%(v)s: promoted (%(why)s)", v=report.version, why=report.reason) if report.promoted else
                    stated("%(v)s: kept as candidate (%(why)s)", v=report.version, why=report.reason))
    db.session.commit()
    if report.promoted:
        enqueue_stale_rescore(stated("model %(version)s promoted", version=report.version))
    return report.version


def _finish(task_id: int, status: str, message: str) -> None:
    task = db.session.get(Task, task_id)
    task.status, task.message, task.finished_at = status, message, utcnow()
    db.session.commit()


def enqueue_training(force: bool = False, actor: StaffUser | None = None) -> Task:
    """Create the Task row, commit it, then queue the job (runs at once without Redis)."""
    task = Task(kind=TASK_KIND, status="queued", total=100, message=stated("waiting for a training worker"))
    db.session.add(task)
    db.session.flush()
    record("model.training_started", "task", str(task.id), actor=actor, actor_label=None if actor else "cli",
           data={"force": force})
    db.session.commit()
    task_id = task.id
    job_id = dispatcher().enqueue(train_model, task_id, force, actor.id if actor else None,
                                  spec=TRAIN_MODEL, job_id=f"train-model-{task_id}")
    task = db.session.get(Task, task_id)
    if job_id:
        task.rq_job_id = job_id
        db.session.commit()
    return task


# Stale scores: a promoted model or published rule set reaches every proof still waiting for a decision.
RESCORE_STALE = JobSpec(SCORING, timeout=3 * 3600, result_ttl=7 * 24 * 3600)
RESCORE_TASK_KIND = "rescore_stale"
RESCORE_LOCK = "rescore-stale"


@job
def rescore_stale_job(task_id: int) -> int:
    """Rescore every stale proof, batch by batch, under the one lock all such runs share; safe to run twice."""
    return run_stale_rescore(task_id)


def run_stale_rescore(task_id: int, progress: Callable[[int], None] | None = None) -> int:
    """The job's body (also run in-process by commands): a finished task is never rerun, and a run that
    waits for another one's lock finds only what that one left."""
    task = db.session.get(Task, task_id)
    if task is None or task.status in ("done", "failed"):
        return 0
    with exclusive(RESCORE_LOCK, RESCORE_STALE.timeout, current_app.config["INSTANCE_DIR"]):
        task = db.session.get(Task, task_id)
        reason = task.message
        task.status = "running"
        db.session.commit()

        def batch_done(count: int) -> None:
            db.session.commit()  # per batch: a killed run keeps every finished batch
            _bump_task(task_id, count)
            if progress:
                progress(count)

        try:
            run = rescore_stale(current_app.config["SCORING_BATCH_SIZE"], progress=batch_done)
        except Exception as exc:  # the task says so instead of "running" for ever; finished batches stay
            db.session.rollback()
            task = db.session.get(Task, task_id)
            task.status, task.finished_at = "failed", utcnow()
            error = f"{type(exc).__name__}: {exc}"
            task.message = stated("%(reason)s: failed after %(done)s proofs (%(error)s)", reason=reason, done=task.done,
                                  error=error)[:500]
            db.session.commit()
            raise
        record("proofs.rescored", "task", str(task_id), actor_label="system", data={
            "reason": reason, "rescored": run.rescored, "rounds": run.rounds,
            "pulled_back": run.pulled_back, "auto_approved": run.auto_approved})
        task = db.session.get(Task, task_id)
        task.status, task.finished_at, task.total = "done", utcnow(), max(task.total, run.rescored)
        task.done = run.rescored
        task.message = stated("rescored %(rescored)s stale proofs; %(pulled_back)s policy approvals pulled back into "
                              "review, %(approved)s approved by policy", rescored=run.rescored,
                              pulled_back=run.pulled_back, approved=run.auto_approved)
        db.session.commit()
    return run.rescored


def _bump_task(task_id: int, count: int) -> None:
    with db.engine.begin() as conn:
        table = Task.__table__
        conn.execute(sa.update(table).where(table.c.id == task_id).values(done=table.c.done + count))


def enqueue_stale_rescore(reason: str, progress: Callable[[int], None] | None = None) -> Task:
    """Call after committing a promotion or publication: a Task row, then the job (in-process without
    Redis, reporting to `progress`). What is stale is read when the job runs, never passed along."""
    versions = active_versions()
    stale = stale_count(versions, utcnow(), current_app.config["SETTLEMENT_HOLD_HOURS"])
    task = Task(kind=RESCORE_TASK_KIND, status="queued", total=stale,
                message=stated("%(reason)s: %(stale)s stale proofs to rescore with rule set %(ruleset)s, "
                               "model %(model)s", reason=reason, stale=stale, ruleset=versions.ruleset,
                               model=versions.model or stated("none")))
    db.session.add(task)
    db.session.commit()
    task_id = task.id
    jobs = dispatcher()
    if jobs.synchronous:
        run_stale_rescore(task_id, progress)
    else:
        task.rq_job_id = jobs.enqueue(rescore_stale_job, task_id, spec=RESCORE_STALE,
                                      job_id=f"rescore-stale-{task_id}")
        db.session.commit()
    return db.session.get(Task, task_id)

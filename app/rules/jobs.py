"""Operators' jobs: a backtest on its own `backtest` queue, and the rescoring a new active rule set needs.

The Backtest and Task rows say what is pending and how far it got; the job reloads them by id, so
running it twice does nothing the second time.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa

from app.platform.i18n import stated
from app.platform.jobs import BACKTEST, JobSpec, dispatcher, job
from app.rules.services import backtest as service
from app.rules.services import shadow
from app.rules.services.versions import resolve
from app.scoring.jobs import enqueue_stale_rescore
from models import Backtest, Task, db

log = logging.getLogger(__name__)

RUN_BACKTEST = JobSpec(BACKTEST, timeout=2 * 3600, result_ttl=24 * 3600)


def _progress(task_id: int):  # noqa: ANN202 - (percent, stage) -> None
    """Progress through its own connection: the job's session stays one unit of work."""
    def update(percent: int, stage: str) -> None:
        with db.engine.begin() as conn:
            table = Task.__table__
            conn.execute(sa.update(table).where(table.c.id == task_id).values(done=percent, message=str(stage)))
    return update


@job
def run_backtest(backtest_id: int) -> str | None:
    """Evaluate the backtest's version over its period and store the figures; a finished one is not rerun."""
    test = db.session.get(Backtest, backtest_id)
    if test is None or test.status in ("done", "failed"):
        return None
    test.status = "running"
    task = db.session.get(Task, test.task_id) if test.task_id else None
    if task is not None:
        task.status = "running"
    db.session.commit()
    try:
        kept_evaluation(backtest_id, lambda: service.run_backtest(
            resolve(test.ruleset_version), test.since, test.until,
            progress=_progress(test.task_id) if test.task_id else None))
    except service.BacktestError:
        return None  # kept as failed, with the reason (an empty period): nothing to retry
    return "done"


def kept_evaluation(backtest_id: int, evaluate: Callable[[], dict]) -> dict:
    """Run `evaluate` and keep its figures on the Backtest row; when it raises, the row (and its task)
    say it failed and why, instead of waiting for ever, and the error goes on. Commits either way."""
    try:
        results = evaluate()
    except Exception as exc:
        db.session.rollback()
        service.finish(db.session.get(Backtest, backtest_id), None, error=str(exc))
        db.session.commit()
        raise
    service.finish(db.session.get(Backtest, backtest_id), results)
    db.session.commit()
    return results


def enqueue_backtest(test: Backtest) -> Backtest:
    """Call after committing the Backtest row: queue it (or run it here when there is no Redis)."""
    backtest_id = test.id
    job_id = dispatcher().enqueue(run_backtest, backtest_id, spec=RUN_BACKTEST, job_id=f"backtest-{backtest_id}")
    test = db.session.get(Backtest, backtest_id)
    if job_id and test.task_id:
        db.session.get(Task, test.task_id).rq_job_id = job_id
        db.session.commit()
    return test


def after_activation(version: int, rolled_back: bool = False) -> Task:
    """Call after committing a publication or rollback: every stale score is rescored with the new version."""
    return enqueue_stale_rescore(stated("rolled back to rule set %(version)s", version=version) if rolled_back
                                 else stated("rule set %(version)s published", version=version))


def after_model_change(version: str, rolled_back: bool = False) -> Task:
    """Call after committing a model promotion or rollback: every stale score is rescored with it."""
    return enqueue_stale_rescore(stated("rolled back to model %(version)s", version=version) if rolled_back
                                 else stated("model %(version)s promoted", version=version))


SHADOW_CATCH_UP = JobSpec(BACKTEST, timeout=2 * 3600)


@job
def shadow_catch_up() -> int:
    """Shadow-score every proof scored since the shadow version started; safe to run twice."""
    row = shadow.current()
    if row is None:
        return 0
    return shadow.catch_up(row, progress=lambda _count: db.session.commit())


SHADOW_FOLLOW = JobSpec(BACKTEST, timeout=30 * 60)
SHADOW_BATCH = 500


@job
def shadow_score_batch(proof_ids: list[str]) -> int:
    """Shadow-score proofs that were just scored; safe to run twice (a proof's shadow row is replaced)."""
    row = shadow.current()
    done = shadow.score(row, proof_ids) if row is not None else 0
    db.session.commit()
    return done


def shadow_follow(proof_ids: list[str]) -> None:
    """Listener of scoring (app/areas.py): while a version is in shadow, every proof scored online or
    in batch is scored with it too, on the backtest queue so the online path never waits for it
    (without Redis, right here). A lost job is found again by the catch-up run."""
    if not proof_ids or shadow.current() is None:
        return
    jobs = dispatcher()
    for start in range(0, len(proof_ids), SHADOW_BATCH):
        jobs.enqueue(shadow_score_batch, proof_ids[start:start + SHADOW_BATCH], spec=SHADOW_FOLLOW)


def enqueue_shadow_catch_up() -> str | None:
    """Call after committing: one catch-up job at a time (its id is fixed while it is queued)."""
    return dispatcher().enqueue(shadow_catch_up, spec=SHADOW_CATCH_UP, job_id="shadow-catch-up")

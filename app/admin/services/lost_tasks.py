"""Tasks whose job is gone: a worker killed mid-run (or Redis flushed) leaves its Task `running` or
`queued` for ever, and a page showing its progress bar waits for ever. The reconciler asks RQ about
every such task's job and ends the task `failed`, with what RQ said, when the job can no longer finish
it; a backtest or an export waiting on it ends failed too. Services flush, never commit."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.platform.audit import record
from app.platform.i18n import stated
from models import Backtest, BrandExport, Task, db

# A job still running or waiting can finish its task; any other state (finished, failed, stopped,
# canceled) or none at all (unknown to Redis) means nobody will.
ALIVE = ("queued", "started", "deferred", "scheduled")
UNFINISHED = ("queued", "running")
SETTLE_SECONDS = 120  # a task's job id is written just after it is queued: leave young tasks alone
OWNERS = (Backtest, BrandExport)  # rows that wait on a task and show its outcome themselves


def end_lost_tasks(job_state: Callable[[str], str | None], now: datetime) -> list[int]:
    """End every unfinished task whose RQ job can no longer finish it; returns their ids."""
    candidates = db.session.scalars(sa.select(Task).where(
        Task.status.in_(UNFINISHED), Task.rq_job_id.is_not(None),
        Task.created_at < now - timedelta(seconds=SETTLE_SECONDS)).order_by(Task.id)).all()
    ended = []
    for task in candidates:
        state = job_state(task.rq_job_id)
        if state in ALIVE:
            continue
        why = stated("its job %(job)s is %(state)s", job=task.rq_job_id, state=state) if state else \
            stated("its job %(job)s is gone from Redis", job=task.rq_job_id)
        message = stated("%(before)s: stopped unfinished (%(why)s); start it again", before=task.message or task.kind,
                         why=why)[:1000]
        # conditional: a job that finished its task between the read above and now keeps "done"
        taken = db.session.execute(sa.update(Task).where(Task.id == task.id, Task.status.in_(UNFINISHED))
                                   .values(status="failed", finished_at=now, message=message)
                                   .execution_options(synchronize_session=False)).rowcount
        if not taken:
            continue
        for owner in OWNERS:
            db.session.execute(sa.update(owner).where(owner.task_id == task.id, owner.status.in_(UNFINISHED))
                               .values(status="failed", error=message, finished_at=now))
        ended.append(task.id)
    if ended:
        record("tasks.ended_lost", "task", ",".join(map(str, ended))[:200], actor_label="reconciler",
               data={"task_ids": ended})
        db.session.flush()
    return ended

"""Training on the `training` queue, with a Task row the operator can watch."""
from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from app.jobs.queues import TRAINING, JobSpec, dispatcher, job
from app.services.model_training import train_and_register
from ml.train import NotEnoughLabels
from models import StaffUser, Task, db, utcnow

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
        _finish(task_id, "failed", f"not enough labels: {exc}")
        return None
    except Exception as exc:
        db.session.rollback()
        _finish(task_id, "failed", f"training failed: {exc}")
        raise
    task = db.session.get(Task, task_id)
    task.status, task.done, task.finished_at = "done", 100, utcnow()
    task.message = f"{report.version}: {'promoted' if report.promoted else 'kept as candidate'} ({report.reason})"
    db.session.commit()
    return report.version


def _finish(task_id: int, status: str, message: str) -> None:
    task = db.session.get(Task, task_id)
    task.status, task.message, task.finished_at = status, message, utcnow()
    db.session.commit()


def enqueue_training(force: bool = False, actor: StaffUser | None = None) -> Task:
    """Create the Task row, commit it, then queue the job (runs at once without Redis)."""
    task = Task(kind=TASK_KIND, status="queued", total=100, message="waiting for a training worker")
    db.session.add(task)
    db.session.commit()
    task_id = task.id
    job_id = dispatcher().enqueue(train_model, task_id, force, actor.id if actor else None,
                                  spec=TRAIN_MODEL, job_id=f"train-model-{task_id}")
    task = db.session.get(Task, task_id)
    if job_id:
        task.rq_job_id = job_id
        db.session.commit()
    return task

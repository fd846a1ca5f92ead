"""Compliance's jobs: building a regulator export, and re-screening stored campaigns under a newly
published screening rule set. Each reloads its rows by id, so running it twice does nothing new."""
from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app

from app.platform.i18n import stated
from app.platform.jobs import DEFAULT, JobSpec, dispatcher, job
from models import BrandExport, Task, db, utcnow

log = logging.getLogger(__name__)

BUILD_EXPORT = JobSpec(DEFAULT, timeout=3600, result_ttl=24 * 3600)
RESCREEN = JobSpec(DEFAULT, timeout=3600, result_ttl=24 * 3600)


def task_progress(task_id: int):  # noqa: ANN201 - (percent, stage) -> None
    """Progress through its own connection, so the page sees it while the job's session stays open."""
    def update(percent: int, stage: str) -> None:
        table = Task.__table__
        with db.engine.begin() as conn:
            conn.execute(sa.update(table).where(table.c.id == task_id)
                         .values(status="running", done=int(percent), message=str(stage)))
    return update


def _finish_task(task_id: int | None, status: str, message: str) -> None:
    task = db.session.get(Task, task_id) if task_id else None
    if task is not None:
        task.status, task.message, task.finished_at = status, message, utcnow()
        if status == "done":
            task.done = task.total or 100


@job
def build_export(export_id: int) -> str | None:
    from app.compliance.export_report import render
    from app.compliance.services import exports

    export = db.session.get(BrandExport, export_id)
    if export is None or export.status in ("done", "failed"):
        return None
    export.status = "running"
    task_id = export.task_id
    db.session.commit()
    progress = task_progress(task_id) if task_id else None
    try:
        exports.build(export_id, vault=current_app.extensions["pii"], root=exports.export_root(current_app.config),
                      render=render, progress=progress)
    except Exception as exc:
        log.exception("export %s failed", export_id)
        db.session.rollback()
        exports.fail(export_id, f"{type(exc).__name__}: {exc}")
        _finish_task(task_id, "failed", str(exc)[:500])
        db.session.commit()
        return None  # the row and its task say what failed; the page shows it
    _finish_task(task_id, "done", stated("export %(export)s ready", export=export_id))
    db.session.commit()
    return "done"


def enqueue_export(export: BrandExport) -> BrandExport:
    """Call after committing the export row: queue it (or build it here when there is no Redis)."""
    export_id = export.id
    job_id = dispatcher().enqueue(build_export, export_id, spec=BUILD_EXPORT, job_id=f"brand-export-{export_id}")
    export = db.session.get(BrandExport, export_id)
    if job_id and export.task_id:
        db.session.get(Task, export.task_id).rq_job_id = job_id
        db.session.commit()
    return export


@job
def rescreen_campaigns(version: int, task_id: int | None = None) -> dict | None:
    """Re-screen live and pending campaigns under screening rules `version` (see services/rescreen)."""
    from app.compliance.services import rescreen
    from app.platform.audit import record

    task = db.session.get(Task, task_id) if task_id else None
    if task is not None:
        if task.status in ("done", "failed"):
            return None
        task.status = "running"
        db.session.commit()

    def progress(done: int, total: int) -> None:
        if task is not None:
            task.done, task.total = done, total
            task.message = stated("%(done)s/%(total)s campaigns", done=done, total=total)
        db.session.commit()  # each batch of campaigns held is final on its own

    result = rescreen.rescreen(version, progress=progress)
    record("screening.rescreened", "screening_rule_set", str(version), actor_label="system",
           data={"screened": result.screened, "held": result.held, "updated": result.updated})
    _finish_task(task_id, "done", stated("%(screened)s screened, %(held)s held, %(updated)s waiting with new findings",
                                         screened=result.screened, held=len(result.held), updated=len(result.updated)))
    db.session.commit()
    return {"screened": result.screened, "held": len(result.held), "updated": len(result.updated)}


def enqueue_rescreen(version: int, task: Task) -> str | None:
    """Call after committing the publication (and its task)."""
    job_id = dispatcher().enqueue(rescreen_campaigns, version, task.id, spec=RESCREEN,
                                  job_id=f"screening-rescreen-{version}")
    if job_id:
        row = db.session.get(Task, task.id)
        row.rq_job_id = job_id
        db.session.commit()
    return job_id

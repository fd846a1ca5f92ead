"""A regulator export built by a real `flask worker` process: the Task reports progress to the end,
and the files land in the shared EXPORT_DIR where the web app serves them."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth.services.staff import create_staff
from app.compliance.jobs import enqueue_export
from app.compliance.services import exports
from models import BrandExport, StaffUser, Task, db
from tests.integration.conftest import run_worker

pytestmark = pytest.mark.integration


def test_export_runs_on_a_real_worker(rq_app, world, tmp_path, monkeypatch):
    shared = tmp_path / "shared-exports"
    monkeypatch.setenv("EXPORT_DIR", str(shared))  # what the worker's environment says
    rq_app.config["EXPORT_DIR"] = str(shared)
    world.basic(proofs=3)
    assert rq_app.test_cli_runner().invoke(args=["import", str(world.write()), "--no-score"]).exit_code == 0
    officer = create_staff("compliance@example.test", "Compliance", "compliance", "correct-horse")
    db.session.commit()
    export = exports.request_export("b1", actor=db.session.get(StaffUser, officer.id), locale="zh_CN")
    db.session.commit()
    export = enqueue_export(export)
    task = db.session.get(Task, export.task_id)
    assert task.status == "queued" and task.rq_job_id == f"brand-export-{export.id}"

    result = run_worker(rq_app, tmp_path, "default")
    assert result.returncode == 0, result.stderr[-2000:]
    db.session.expire_all()
    export = db.session.get(BrandExport, export.id)
    task = db.session.get(Task, export.task_id)
    assert export.status == "done", export.error
    assert (task.status, task.done) == ("done", 100)
    for kind in ("zip", "pdf", "html"):
        path, _name, _mime = exports.download(export.id, kind, root=exports.export_root(rq_app.config),
                                              actor=db.session.get(StaffUser, officer.id))
        assert path.is_relative_to(shared) and path.stat().st_size == export.files[kind]["size"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BrandExport)) == 1

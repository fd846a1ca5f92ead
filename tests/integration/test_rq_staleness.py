"""Scores that stay current on a running system: a promotion and a publication reach the backlog
through real `flask worker` processes on Redis, once per proof, even when the rescoring runs twice."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.platform.jobs import SCORING, TRAINING
from app.scoring.jobs import enqueue_stale_rescore, enqueue_training
from app.scoring.services.staleness import active_versions, stale_ids
from config import BASE_DIR
from models import AuditEvent, ModelVersion, ProofScore, Task, db, utcnow
from scripts.simulate import SimulationOptions, generate_world
from tests.integration.conftest import run_worker, worker_env
from tests.scoring.test_staleness import publish

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _stale(app) -> list[str]:  # noqa: ANN001
    db.session.expire_all()
    return stale_ids(active_versions(), utcnow(), app.config["SETTLEMENT_HOLD_HOURS"])


def test_promotion_and_publication_rescore_the_backlog_once(rq_app, tmp_path):
    world = generate_world(tmp_path / "world", SimulationOptions(proofs=2500, workers=400, campaigns=12, seed=5))
    runner = rq_app.test_cli_runner()
    assert runner.invoke(args=["import", world["out_dir"]]).exit_code == 0
    assert run_worker(rq_app, tmp_path, SCORING).returncode == 0  # cold start: rules alone

    task = enqueue_training()
    assert run_worker(rq_app, tmp_path, TRAINING, timeout=300).returncode == 0
    db.session.expire_all()
    model = db.session.scalar(sa.select(ModelVersion.version).where(ModelVersion.status == "active"))
    assert model and "promoted" in db.session.get(Task, task.id).message
    waiting = _stale(rq_app)
    assert len(waiting) > 100  # the backlog the promotion made stale, queued for a scoring worker
    assert run_worker(rq_app, tmp_path, SCORING).returncode == 0
    assert _stale(rq_app) == []
    db.session.expire_all()
    assert {mv for (mv,) in db.session.execute(sa.select(ProofScore.model_version).where(
        ProofScore.proof_id.in_(waiting)))} == {model}

    publish({"thresholds": {"auto_approve_below": 0.25, "hold_at_or_above": 0.7}})
    waiting = _stale(rq_app)
    assert waiting
    first, second = enqueue_stale_rescore("published"), enqueue_stale_rescore("published, queued twice")
    assert first.status == second.status == "queued"
    flask = str(Path(sys.executable).with_name("flask"))
    workers = [subprocess.Popen([flask, "--app", "app", "worker", SCORING, "--burst"], cwd=BASE_DIR,
                                env=worker_env(rq_app, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(2)]
    for proc in workers:
        assert proc.wait(timeout=300) == 0, proc.stderr.read()[-2000:]
    assert _stale(rq_app) == []
    runs = db.session.scalars(sa.select(AuditEvent.data).where(AuditEvent.action == "proofs.rescored")
                              .order_by(AuditEvent.id)).all()
    counts = [run["rescored"] for run in runs[-2:]]
    assert sorted(counts) == [0, len(waiting)]  # two runs at once: one did it all, the other found nothing left

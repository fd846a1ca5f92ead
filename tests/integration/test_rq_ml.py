"""Training on the `training` queue and the feedback re-score, each run by a real `rq worker` process."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth.services.staff import create_staff
from app.platform.jobs import SCORING, TRAINING
from app.review.services.decisions import decide
from app.scoring.jobs import enqueue_linked_rescore, enqueue_training
from models import ModelVersion, Proof, ProofScore, Task, db
from scripts.simulate import SimulationOptions, generate_world
from tests.integration.conftest import run_worker
from tests.ml.worlds import honest_world
from tests.scoring.test_feedback import LINKS

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_training_task_runs_on_a_real_worker_and_promotes(rq_app, tmp_path):
    world = generate_world(tmp_path / "world", SimulationOptions(proofs=2500, workers=400, campaigns=12, seed=3))
    runner = rq_app.test_cli_runner()
    assert runner.invoke(args=["import", world["out_dir"], "--no-score"]).exit_code == 0
    task = enqueue_training()
    assert task.status == "queued" and task.rq_job_id == f"train-model-{task.id}"
    done = run_worker(rq_app, tmp_path, TRAINING, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    db.session.expire_all()
    task = db.session.get(Task, task.id)
    assert task.status == "done" and task.done == 100 and "promoted" in task.message, task.message
    active = db.session.scalar(sa.select(ModelVersion).where(ModelVersion.status == "active"))
    assert active is not None and active.metrics["rows"] > 0


def test_fraud_rejection_rescore_runs_on_a_real_worker(rq_app, world, tmp_path):
    runner = rq_app.test_cli_runner()
    assert runner.invoke(args=["import", str(honest_world(world, links=LINKS).write())]).exit_code == 0
    assert run_worker(rq_app, tmp_path, SCORING).returncode == 0
    db.session.expire_all()
    before = dict(db.session.execute(sa.select(ProofScore.proof_id, ProofScore.scored_at)).all())
    moderator = create_staff("moderator@example.test", "Moderator", "moderator", "correct-horse")
    decide(db.session.get(Proof, "p1"), "rejected", actor=moderator, reason_code="fraud_ring")
    db.session.commit()
    assert enqueue_linked_rescore("p1", "fraud_ring") == "rescore-linked-p1"
    assert run_worker(rq_app, tmp_path, SCORING).returncode == 0
    db.session.expire_all()
    after = dict(db.session.execute(sa.select(ProofScore.proof_id, ProofScore.scored_at)).all())
    assert {pid for pid in after if after[pid] != before[pid]} == {"p2", "p3", "p4"}

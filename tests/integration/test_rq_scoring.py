"""Proofs imported with Redis configured are scored by a separate `rq worker` process."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from rq import Queue

from app.platform.jobs import SCORING
from models import Proof, ProofScore, db
from tests.integration.conftest import run_worker

pytestmark = pytest.mark.integration


def _count(model) -> int:  # noqa: ANN001
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_import_enqueues_scoring_that_a_real_worker_runs(rq_app, world, tmp_path):
    runner = rq_app.test_cli_runner()
    result = runner.invoke(args=["import", str(world.basic(proofs=6).write())])
    assert result.exit_code == 0, result.output
    assert "queued jobs" in result.output
    queue = Queue(SCORING, connection=rq_app.extensions["jobs"].redis())
    assert queue.count >= 1 and _count(ProofScore) == 0

    done = run_worker(rq_app, tmp_path, SCORING)
    assert done.returncode == 0, done.stderr[-2000:]
    db.session.expire_all()
    assert _count(ProofScore) == 6
    assert set(db.session.scalars(sa.select(Proof.state))) <= {"in_review", "approved"}
    assert queue.count == 0


def test_a_worker_without_fork_runs_every_job_in_its_process_with_the_model_preloaded(rq_app, world, tmp_path):
    queue = Queue(SCORING, connection=rq_app.extensions["jobs"].redis())
    # a job that fails first: its broken session must not reach the scoring jobs after it
    queue.enqueue("app.scoring.jobs.score_batch", [1, 2])  # integer ids: PostgreSQL refuses the lookup
    runner = rq_app.test_cli_runner()
    assert runner.invoke(args=["import", str(world.basic(proofs=5).write())]).exit_code == 0
    done = run_worker(rq_app, tmp_path, SCORING, options=("--no-fork",))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "jobs in this process" in done.stdout and "rule set 1" in done.stdout
    db.session.expire_all()
    assert _count(ProofScore) == 5 and queue.count == 0


def test_a_lost_queue_is_refilled_from_the_database(rq_app, world):
    runner = rq_app.test_cli_runner()
    runner.invoke(args=["import", str(world.basic(proofs=4).write())])
    rq_app.extensions["jobs"].redis().flushdb()  # Redis lost everything it held
    result = runner.invoke(args=["score"])
    assert result.exit_code == 0, result.output
    assert _count(ProofScore) == 4

"""A lost Redis heals without a person: `flask scheduler` queues the reconciler, a real worker runs
it, and every proof accepted before the flush is scored (once); approvals settle once."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from rq import Queue

from app.admin.jobs import SCORE_BACKLOG_JOB, SETTLEMENT_JOB, reconcile
from app.platform.jobs import DEFAULT, SCORING, SETTLEMENT
from config import BASE_DIR
from models import AuditEvent, LedgerEntry, Proof, ProofScore, db, utcnow
from tests.integration.conftest import run_worker, worker_env
from tests.money import helpers as h

pytestmark = pytest.mark.integration


def _queue(app, name: str) -> Queue:  # noqa: ANN001
    return Queue(name, connection=app.extensions["jobs"].redis())


def _scheduler_queues_the_reconciler(app, tmp_path: Path) -> str:  # noqa: ANN001
    """Start the real `flask scheduler`, wait until it has queued the reconciler, stop it (SIGTERM)."""
    flask = str(Path(sys.executable).with_name("flask"))
    proc = subprocess.Popen([flask, "--app", "app", "scheduler"], cwd=BASE_DIR, env=worker_env(app, tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            jobs = _queue(app, DEFAULT).get_jobs()
            if any(job.func_name == "app.admin.jobs.reconcile" for job in jobs):
                break
            time.sleep(0.2)
        else:
            pytest.fail("the scheduler queued no reconcile job within 60 s")
    finally:
        proc.send_signal(signal.SIGTERM)
        output = proc.communicate(timeout=30)[0]
    assert proc.returncode == 0, output[-2000:]
    return output


def test_proofs_accepted_while_redis_was_flushed_are_scored_after_the_reconciler_runs(rq_app, world, tmp_path):
    runner = rq_app.test_cli_runner()
    result = runner.invoke(args=["import", str(world.basic(proofs=8).write())])
    assert result.exit_code == 0 and "queued jobs" in result.output
    rq_app.extensions["jobs"].redis().flushdb()  # Redis lost every scoring job it held
    db.session.execute(sa.update(Proof).values(ingested_at=utcnow() - timedelta(minutes=10)))  # past the grace
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProofScore)) == 0

    said = _scheduler_queues_the_reconciler(rq_app, tmp_path)
    assert "app.admin.jobs.reconcile" in said
    assert reconcile() == "unscored 8, settleable False"  # a second reconciler (another tick) asks again ...
    assert [job.id for job in _queue(rq_app, SCORING).get_jobs()] == [SCORE_BACKLOG_JOB]  # ... one job waits

    done = run_worker(rq_app, tmp_path, DEFAULT, SCORING, SETTLEMENT)
    assert done.returncode == 0, done.stderr[-2000:]
    db.session.expire_all()
    scores = dict(db.session.execute(sa.select(ProofScore.proof_id, ProofScore.scored_at)).all())
    assert len(scores) == 8
    assert set(db.session.scalars(sa.select(Proof.state))) <= {"in_review", "approved"}
    requeued = [e.data for e in db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == "reconciler.requeued").order_by(AuditEvent.id))]
    # the second tick found the job still waiting: it queued nothing, so it wrote no audit row
    assert len(requeued) == 1 and requeued[0]["already_queued"] == []

    assert reconcile() == "nothing owed"
    db.session.expire_all()
    assert dict(db.session.execute(sa.select(ProofScore.proof_id, ProofScore.scored_at)).all()) == scores


def test_approvals_whose_settlement_was_lost_settle_once_however_often_the_reconciler_asks(rq_app, tmp_path):
    h.world()
    for pid, worker in (("p1", "w1"), ("p2", "w2"), ("p3", "w1")):
        h.proof(pid, worker=worker)
        h.approve(pid)
    db.session.commit()
    assert reconcile() == "unscored 0, settleable True"
    assert reconcile() == "unscored 0, settleable True"
    assert [job.id for job in _queue(rq_app, SETTLEMENT).get_jobs()] == [SETTLEMENT_JOB]
    rq_app.extensions["jobs"].redis().flushdb()  # ... and Redis lost it
    assert reconcile() == "unscored 0, settleable True"  # the database still says what is owed
    assert _queue(rq_app, SETTLEMENT).count == 1

    done = run_worker(rq_app, tmp_path, SETTLEMENT)
    assert done.returncode == 0, done.stderr[-2000:]
    db.session.expire_all()
    assert {h.state(pid) for pid in ("p1", "p2", "p3")} == {"settled"}
    settled = list(db.session.scalars(sa.select(LedgerEntry.proof_id).where(LedgerEntry.kind == "settle")))
    assert sorted(settled) == ["p1", "p2", "p3"]
    assert reconcile() == "nothing owed"
    assert _queue(rq_app, SETTLEMENT).count == 0

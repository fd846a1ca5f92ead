"""A real `rq worker` killed with SIGKILL mid-settlement, then run again: every proof settles once.

Needs PostgreSQL (TEST_DATABASE_URL) and Redis; uses Redis database 14 so it never touches the
queues of other suites.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from app.money.jobs import SETTLE_RUN, settle_approved
from app.money.services.verify import verify
from app.platform.jobs import JobDispatcher
from models import LedgerEntry, Proof, ReviewDecision, db
from tests.money import helpers as h

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
PROOFS = 4000
CHUNK = 20


def redis_url() -> str:
    base = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/13")
    return base.rsplit("/", 1)[0] + "/14" if base.count("/") > 2 else base + "/14"


@pytest.fixture()
def redis_db():  # noqa: ANN201
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    if "postgresql" not in os.environ.get("TEST_DATABASE_URL", ""):
        pytest.skip("needs PostgreSQL: the worker process shares the test database")
    client = Redis.from_url(redis_url())
    try:
        client.ping()
    except RedisDown:
        pytest.skip(f"no Redis at {redis_url()}")
    client.flushdb()
    yield client
    client.flushdb()


def approved_proofs(count: int) -> None:
    """Brand, campaign and workers through the helpers; proofs and decisions in bulk for speed."""
    h.world(campaigns={"c1": {"budget_cents": count * 100}}, workers={f"w{i}": h.OLD_ACCOUNT for i in range(50)})
    db.session.execute(sa.insert(Proof), [{
        "id": f"p{i:05d}", "campaign_id": "c1", "worker_id": f"w{i % 50}", "accepted_at": h.T0, "submitted_at": h.T0,
        "ip_enc": "x", "ip_hash": f"h{i}", "ip_prefix_hash": "pfx", "ip_version": 4, "state": "approved",
        "source": "import"} for i in range(count)])
    db.session.execute(sa.insert(ReviewDecision), [{
        "proof_id": f"p{i:05d}", "decision": "approved", "actor_kind": "import", "decided_at": h.T0}
        for i in range(count)])
    db.session.commit()


def worker_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": db.engine.url.render_as_string(hide_password=False),
            "REDIS_URL": redis_url(), "PII_KEYS": Fernet.generate_key().decode(), "PII_HMAC_KEY": "k" * 32,
            "WORKBENCH_ENV": "development", "INSTANCE_DIR": str(tmp_path / "instance")}


def settled_count(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM proofs WHERE state = 'settled'")).scalar()


def start_worker(env: dict[str, str]) -> subprocess.Popen:
    # Its own process group, so the kill takes the work horse (the forked child running the job) too.
    return subprocess.Popen([FLASK, "--app", "app", "worker", "settlement", "--burst"], cwd=ROOT, env=env,
                            start_new_session=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def test_sigkill_mid_batch_then_rerun_settles_each_proof_exactly_once(app, redis_db, tmp_path):
    approved_proofs(PROOFS)
    env = worker_env(tmp_path)
    jobs = JobDispatcher(redis_url())
    jobs.enqueue(settle_approved, CHUNK, spec=SETTLE_RUN)
    watcher = sa.create_engine(db.engine.url)
    worker = start_worker(env)
    deadline = time.monotonic() + 120
    while settled_count(watcher) < 10 * CHUNK:  # poll the database for committed chunks
        assert worker.poll() is None, worker.stdout.read().decode()[-2000:]
        assert time.monotonic() < deadline, "the worker never settled a chunk"
        time.sleep(0.02)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(30)
    after_kill = settled_count(watcher)
    assert 0 < after_kill < PROOFS, f"the kill should land mid-batch, {after_kill} of {PROOFS} were settled"
    db.session.remove()
    assert verify().ok  # whole chunks only: what was settled is consistent

    jobs.enqueue(settle_approved, CHUNK, spec=SETTLE_RUN)
    rerun = start_worker(env)
    output = rerun.communicate(timeout=300)[0].decode()
    assert rerun.returncode == 0, output[-2000:]
    watcher.dispose()
    db.session.remove()
    per_proof = dict(db.session.execute(sa.select(LedgerEntry.proof_id, sa.func.count()).where(
        LedgerEntry.kind == "settle").group_by(LedgerEntry.proof_id)).all())
    assert len(per_proof) == PROOFS and set(per_proof.values()) == {1}
    assert settled_count(db.engine) == PROOFS
    assert h.balance("worker_payable:w0") == (PROOFS // 50) * 85
    assert h.balance("platform_revenue") == PROOFS * 15
    assert verify().ok

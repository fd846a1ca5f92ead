"""Nothing accepted is lost when parts fail: proofs posted through gunicorn while the scoring worker is
SIGKILLed and Redis is killed and restarted are all stored, scored exactly once and routed, and running
settlement twice settles nothing twice.

Everything runs for real on loopback: a fresh PostgreSQL database, a private `redis-server` started
(and killed, and started again) by this test, gunicorn with two workers, and `flask worker` processes.
"""
from __future__ import annotations

import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from config import BASE_DIR, sqlalchemy_url
from tests import factories as f
from tests.conftest import PG_URL
from tests.factories import WorldBuilder
from tests.integration.conftest import FERNET_KEY, HMAC_KEY

pytestmark = [pytest.mark.integration, pytest.mark.slow]

BIN = Path(sys.executable).parent
REDIS_SERVER = shutil.which("redis-server")
WORKERS = 480
SINGLES, BATCHES, BATCH = 120, 12, 30  # 480 proofs in 132 requests
ROUTED = {"in_review", "approved", "escalated"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Redis:
    """A private redis-server without persistence: killing it loses everything it held."""

    def __init__(self, directory: Path) -> None:
        self.port, self.directory, self.proc = _free_port(), directory, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen([REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no", "--dir", str(self.directory)],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_for_port(self.port, "redis-server")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


def _wait_for_port(port: int, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{what} did not listen on {port} within {timeout} s")


def _stop(proc: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
    """Stop a process this test started, with the session it leads (an rq worker's work horse too)."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, sig)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@pytest.fixture()
def database() -> Iterator[str]:
    if not PG_URL.startswith("postgresql") or REDIS_SERVER is None:
        pytest.skip("the fault test needs TEST_DATABASE_URL (PostgreSQL) and a redis-server binary")
    admin_url = sqlalchemy_url(PG_URL)
    name = f"wb_fault_{os.getpid()}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + "/" + name
    try:
        _query(url, "SELECT 1")  # take the reading connection now
        yield url
    finally:
        engine = ENGINES.pop(url, None)
        if engine is not None:
            engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


class Stack:
    def __init__(self, url: str, redis: Redis, tmp: Path) -> None:
        self.url, self.redis, self.tmp = url, redis, tmp
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("TEST_", "DATABASE_URL", "REDIS_URL"))}
        self.env.update(WORKBENCH_ENV="development", DATABASE_URL=url, REDIS_URL=redis.url, PII_KEYS=FERNET_KEY,
                        PII_HMAC_KEY=HMAC_KEY, INSTANCE_DIR=str(tmp / "instance"), MODEL_DIR=str(tmp / "models"),
                        API_RATE_LIMIT="100000 per minute", SETTLEMENT_HOLD_HOURS="0", SCORING_BATCH_SIZE="50")

    def flask(self, *args: str, timeout: int = 120) -> str:
        done = subprocess.run([str(BIN / "flask"), "--app", "app", *args], cwd=BASE_DIR, env=self.env,
                              capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"flask {' '.join(args)}: {done.stdout[-2000:]}{done.stderr[-3000:]}"
        return done.stdout

    def start(self, *args: str) -> subprocess.Popen:
        return subprocess.Popen(list(args), cwd=BASE_DIR, env=self.env, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=open(self.tmp / "stderr.log", "ab"))  # noqa: SIM115


def _schema_and_world(stack: Stack) -> str:
    from app import create_app
    from config import DevelopmentConfig
    from models import db

    class Config(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = stack.url
        INSTANCE_DIR = stack.tmp / "instance"
        PII_KEYS, PII_HMAC_KEY, REDIS_URL = FERNET_KEY, HMAC_KEY, None

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    world = WorldBuilder(stack.tmp / "world").add("brands", f.brand()).add("rooms", f.room())
    world.add("campaigns", f.campaign(budget_cents=10_000_000, max_completions=100_000,
                                      ends_at="2027-12-31T00:00:00+08:00"))
    world.add("workers", *(f.worker(id=f"w{i}", phone=f"+8613800{i:06d}",
                                    created_at=(SIGNED_UP + timedelta(hours=i * 7919 % 7200)).isoformat())
                           for i in range(WORKERS)))
    stack.flask("import", "--no-score", str(world.write()))
    return stack.flask("api-tokens", "create", "fault-test").strip().splitlines()[-1]


# An honest-looking crowd, so that policy approves whatever order the proofs are scored in (the
# settlement check needs approvals): accounts signed up over ten months, one proof each or two, spread
# over a day from their own addresses and devices, short everyday comments (too short to compare),
# their own screenshots. A farm-like world (20 accounts, one second, one canvas, numbered copies of one
# comment) was routed to review whenever the reconciler's backlog run scored most of it together.
SIGNED_UP = datetime(2025, 1, 1, tzinfo=timezone(timedelta(hours=8)))
DAY_START = datetime(2026, 10, 1, 9, 0, tzinfo=timezone(timedelta(hours=8)))
COMMENTS = ["颜色很显白", "主播讲得清楚", "已经下单了", "质地很轻薄",
            "第二次回购", "包装好精致", "试色很真实", "价格还可以"]


def _proof(pid: str, n: int) -> dict:
    accepted = DAY_START + timedelta(seconds=n * 7919 % (12 * 3600))
    screenshot = hashlib.sha256(pid.encode()).hexdigest()
    return f.proof(id=pid, worker_id=f"w{n % WORKERS}", ip=f"223.{104 + n % 16}.{n * 37 % 250}.{1 + n * 11 % 250}",
                   accepted_at=accepted.isoformat(), started_at=(accepted + timedelta(seconds=20 + n % 40)).isoformat(),
                   submitted_at=(accepted + timedelta(seconds=180 + n * 13 % 600)).isoformat(),
                   screenshot_sha256=screenshot, screenshot_phash=screenshot[:16],
                   comment_text=COMMENTS[n % len(COMMENTS)],
                   device=f.device(fingerprint=f"fp-{n}", canvas_hash=f"{n * 2654435761 % (1 << 32):08x}"))


class Load:
    """Posts SINGLES one-proof requests and BATCHES batches from two client threads; keeps what was accepted."""

    def __init__(self, port: int, token: str) -> None:
        self.port, self.token = port, token
        self.accepted: set[str] = set()
        self.refused: list[str] = []
        self.sent = 0
        self.lock = threading.Lock()

    def bodies(self, client: int) -> list[tuple[list[str], bytes]]:
        out = []
        for n in range(client, SINGLES, 2):
            out.append(([f"s{n}"], json.dumps(_proof(f"s{n}", n)).encode()))
            if n % (2 * SINGLES // BATCHES) in (0, 1):
                ids = [f"b{n}-{k}" for k in range(BATCH)]
                out.append((ids, json.dumps([_proof(pid, n * BATCH + k) for k, pid in enumerate(ids)]).encode()))
        return out

    def post(self, ids: list[str], body: bytes) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            conn.request("POST", "/api/v1/proofs", body=body, headers=headers)
            response = conn.getresponse()
            payload, status = response.read(), response.status
            conn.close()
        except OSError as exc:  # not accepted: the client would retry; nothing is claimed about it
            status, payload = 0, str(exc).encode()
        with self.lock:
            self.sent += 1
            if 200 <= status < 300:
                self.accepted.update(item["id"] for item in json.loads(payload)["items"])
            else:
                self.refused.append(f"{status}: {payload[:200]!r}")

    def run(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=lambda c=c: [self.post(*b) for b in self.bodies(c)]) for c in (0, 1)]
        for thread in threads:
            thread.start()
        return threads

    def wait_until_sent(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.sent < count and time.monotonic() < deadline:
            time.sleep(0.02)


def test_accepted_proofs_survive_a_killed_worker_and_a_lost_redis(database, tmp_path):
    redis = Redis(tmp_path)
    stack = Stack(database, redis, tmp_path)
    gunicorn = worker = None
    redis.start()
    try:
        token = _schema_and_world(stack)
        port = _free_port()
        gunicorn = stack.start(str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
                               "--timeout", "60", "--log-level", "warning", "wsgi:app")
        _wait_for_port(port, "gunicorn")
        worker = stack.start(str(BIN / "flask"), "--app", "app", "worker", "scoring", "--no-fork")
        load = Load(port, token)
        total = SINGLES + BATCHES
        started = time.monotonic()
        threads = load.run()
        load.wait_until_sent(total // 3)
        _stop(worker, signal.SIGKILL)  # mid-job or idle: whatever it held is lost
        load.wait_until_sent(total // 2)
        redis.kill()  # every queued job is gone with it
        time.sleep(0.5)  # requests in between find no Redis: they are stored and scored in the request
        redis.start()
        for thread in threads:
            thread.join(timeout=90)
        print(f"load done after {time.monotonic() - started:.1f} s", file=sys.stderr)
        assert load.sent == total
        assert not load.refused, load.refused[:5]

        lost = _query(database, "SELECT count(*) FROM proofs WHERE state = 'received'")[0][0]
        assert lost > 0, "no queued job was lost: the faults came too late to test anything"
        # Recovery as documented: a worker drains what was queued after the restart; the reconciler
        # (what `flask scheduler` runs every two minutes; here at once, with no grace) reads from the
        # database what lost its job and queues it again, and a worker scores it.
        stack.flask("worker", "scoring", "--burst", "--no-fork")
        stack.flask("reconcile", "--grace-minutes", "0")
        stack.flask("worker", "scoring", "--burst", "--no-fork")
        print(f"recovered after {time.monotonic() - started:.1f} s", file=sys.stderr)
        _assert_stored_scored_once_and_routed(database, load.accepted)
        _assert_settlement_runs_once(stack, database)
    finally:
        _stop(worker, signal.SIGKILL)
        _stop(gunicorn)
        redis.kill()


ENGINES: dict[str, sa.Engine] = {}


def _query(url: str, sql: str) -> list[tuple]:
    """Read with one connection kept from the test's start: a busy shared server may refuse new clients."""
    if url not in ENGINES:
        ENGINES[url] = sa.create_engine(url, pool_size=1, max_overflow=0)
    with ENGINES[url].connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql))]


def _assert_stored_scored_once_and_routed(url: str, accepted: set[str]) -> None:
    assert len(accepted) == SINGLES + BATCHES * BATCH
    rows = _query(url, "SELECT p.id, p.state, (SELECT count(*) FROM proof_scores s WHERE s.proof_id = p.id), "
                       "(SELECT count(*) FROM review_items r WHERE r.proof_id = p.id), "
                       "(SELECT count(*) FROM review_decisions d WHERE d.proof_id = p.id) FROM proofs p")
    stored = {pid: (state, scores, items, decisions) for pid, state, scores, items, decisions in rows}
    assert accepted <= set(stored), f"accepted but not stored: {sorted(accepted - set(stored))[:10]}"
    for pid in accepted:
        state, scores, items, decisions = stored[pid]
        assert state in ROUTED, (pid, state)
        assert (scores, items) == (1, 1), (pid, scores, items)
        assert decisions <= 1, (pid, decisions)  # a policy approval, if any, happened once
        assert decisions == (1 if state == "approved" else 0), (pid, state, decisions)
    # Routed exactly once: one queue entry per proof, and one approval event per policy-approved proof.
    approvals = _query(url, "SELECT data FROM audit_events WHERE action = 'proof.approved'")
    approved_ids = [pid for (data,) in approvals
                    for pid in (json.loads(data) if isinstance(data, str) else data or {}).get("proof_ids", [])]
    assert len(approved_ids) == len(set(approved_ids))


def _assert_settlement_runs_once(stack: Stack, url: str) -> None:
    approved = _query(url, "SELECT count(*) FROM proofs WHERE state = 'approved'")[0][0]
    assert approved > 0, "nothing was approved by policy: the settlement check would prove nothing"
    stack.flask("settle")
    entries = _query(url, "SELECT count(*) FROM ledger_entries")[0][0]
    settled = _query(url, "SELECT count(*) FROM ledger_entries WHERE kind = 'settle'")[0][0]
    assert settled == approved
    stack.flask("settle")
    assert _query(url, "SELECT count(*) FROM ledger_entries")[0][0] == entries
    assert _query(url, "SELECT count(*), count(DISTINCT proof_id) FROM ledger_entries WHERE kind = 'settle'")[0] \
        == (settled, settled)
    stack.flask("ledger", "verify")

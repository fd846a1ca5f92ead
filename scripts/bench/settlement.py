"""Settlement throughput on PostgreSQL: settle N approved proofs, then `ledger verify` over them.

usage: .venv/bin/python scripts/bench/settlement.py [--proofs 100000] [--workers 20000] [--chunk-size 5000]
Builds a scratch database (wb_bench_money), loads brands, campaigns, workers and approved proofs in
bulk, funds the campaigns, then times the same code `flask settle` and `flask ledger verify` run.
The bar (issue 4): settle 100,000 proofs in <= 30 s, verify in <= 10 s. The database is dropped after.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import drop_postgres, machine, scratch_postgres  # noqa: E402

DB_NAME = "wb_bench_money"
T0 = datetime(2026, 10, 1, tzinfo=UTC)
CAMPAIGNS = 100


def make_app(url: str, instance: Path):  # noqa: ANN201 - flask.Flask
    from cryptography.fernet import Fernet

    from app import create_app
    from config import DevelopmentConfig

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url
        INSTANCE_DIR = instance
        REDIS_URL = None
        PII_KEYS = Fernet.generate_key().decode()
        PII_HMAC_KEY = "bench-" * 6

    return create_app(BenchConfig)


def load_world(proofs: int, workers: int) -> None:
    """One brand, CAMPAIGNS campaigns with room for every proof, workers, approved proofs and decisions."""
    import sqlalchemy as sa

    from app.money.services.funding import fund_campaigns
    from models import Brand, Campaign, Proof, ReviewDecision, Room, Worker, db

    db.session.execute(sa.insert(Brand), [{"id": "b1", "name": "Bench brand", "kyc_status": "verified"}])
    db.session.execute(sa.insert(Room), [{"id": "r1", "platform": "douyin", "name": "Bench room"}])
    db.session.execute(sa.insert(Campaign), [{
        "id": f"c{i:03d}", "brand_id": "b1", "room_id": "r1", "action": "like", "reward_cents": 50 + i,
        "budget_cents": (50 + i) * proofs, "commission_rate": (0.1, 0.15, 0.145, 0.2)[i % 4], "status": "active",
    } for i in range(CAMPAIGNS)])
    db.session.execute(sa.insert(Worker), [{"id": f"w{i:06d}", "created_at": T0 - timedelta(days=90)}
                                           for i in range(workers)])
    for start in range(0, proofs, 20_000):
        ids = range(start, min(proofs, start + 20_000))
        db.session.execute(sa.insert(Proof), [{
            "id": f"p{i:07d}", "campaign_id": f"c{i % CAMPAIGNS:03d}", "worker_id": f"w{i % workers:06d}",
            "accepted_at": T0, "submitted_at": T0 + timedelta(minutes=3), "ip_enc": "-", "ip_hash": f"{i:x}",
            "ip_prefix_hash": "-", "ip_version": 4, "state": "approved", "source": "import"} for i in ids])
        db.session.execute(sa.insert(ReviewDecision), [{
            "proof_id": f"p{i:07d}", "decision": "approved", "actor_kind": "human" if i % 2 else "import",
            "decided_at": T0 + timedelta(hours=1)} for i in ids])
    fund_campaigns([f"c{i:03d}" for i in range(CAMPAIGNS)], actor_label="bench")
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU time used so far by a local PostgreSQL backend (None when it is not on this machine)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Timer:
    """Wall time, plus CPU time of this process and of its database backend: on a busy machine the
    wall time includes waiting for a core, the CPU sum is what the work itself cost."""

    def __init__(self, backend_pid: int) -> None:
        self.backend_pid = backend_pid

    def __enter__(self) -> Timer:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        self.db_cpu = backend_cpu_seconds(self.backend_pid)
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        db_cpu = backend_cpu_seconds(self.backend_pid)
        self.db_cpu = None if db_cpu is None or self.db_cpu is None else db_cpu - self.db_cpu

    def __str__(self) -> str:
        db_part = f" + database {self.db_cpu:.2f} s" if self.db_cpu is not None else ""
        return f"{self.wall:.2f} s wall (cpu: python {self.cpu:.2f} s{db_part})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--proofs", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=20_000)
    parser.add_argument("--chunk-size", type=int, default=5000)
    args = parser.parse_args()
    url = scratch_postgres(DB_NAME)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-money-") as tmp:
            app = make_app(url, Path(tmp))
            with app.app_context():
                run(args)
    finally:
        drop_postgres(DB_NAME)


def run(args: argparse.Namespace) -> None:
    import sqlalchemy as sa

    from app.money.jobs import run_settlement
    from app.money.services.verify import verify
    from models import db

    db.create_all()
    started = time.perf_counter()
    load_world(args.proofs, args.workers)
    print(f"machine: {machine()}")
    print(f"world: {args.proofs} approved proofs, {args.workers} workers, {CAMPAIGNS} campaigns "
          f"(loaded in {time.perf_counter() - started:.1f} s)")
    load_before = f"{os.getloadavg()[0]:.2f}"
    backend = db.session.scalar(sa.text("SELECT pg_backend_pid()"))
    with Timer(backend) as settle:
        totals, _ = run_settlement(chunk_size=args.chunk_size)
    with Timer(backend) as check:
        report = verify()
    print(f"load average before/after: {load_before} / {os.getloadavg()[0]:.2f}")
    print(totals.line())
    print(f"settle: {settle} = {totals.proofs / settle.wall:,.0f} proofs/s, chunks of {args.chunk_size}; "
          f"bar <= 30 s: {'PASS' if settle.wall <= 30 else 'FAIL'}")
    print(f"verify: {check} over {report.counts}; bar <= 10 s: {'PASS' if check.wall <= 10 else 'FAIL'}")
    if totals.proofs != args.proofs or not report.ok:
        raise SystemExit(f"settled {totals.proofs} of {args.proofs}; violations: {report.violations[:5]}")


if __name__ == "__main__":
    main()

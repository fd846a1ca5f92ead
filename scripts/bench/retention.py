"""Retention, key rotation and the reconciler's idle tick on PostgreSQL, over a large proofs table.

usage: .venv/bin/python scripts/bench/retention.py [--proofs 200000] [--batch-size 2000]
Builds a scratch database (wb_bench_ops) with decided proofs carrying encrypted IPs and device detail
(all older than the retention period), approvals still inside their hold window and fresh unscored
proofs inside the reconciler's grace, then times: the reconciler when nothing is owed (it runs every
2 minutes), a retention run over every proof, a second run (nothing left), `pii rotate` under a new
key and a second rotation (nothing left). The database is dropped after.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import drop_postgres, machine, scratch_postgres  # noqa: E402

DB_NAME = "wb_bench_ops"


def make_app(url: str, instance: Path, keys: str):  # noqa: ANN201 - flask.Flask
    from app import create_app
    from config import DevelopmentConfig

    class BenchConfig(DevelopmentConfig):
        SQLALCHEMY_DATABASE_URI = url
        INSTANCE_DIR = instance
        REDIS_URL = None
        PII_KEYS = keys
        PII_HMAC_KEY = "bench-" * 6

    return create_app(BenchConfig)


def load_world(proofs: int, old_key: str) -> None:
    import sqlalchemy as sa
    from cryptography.fernet import Fernet

    from models import Brand, Campaign, Proof, ReviewDecision, Room, Worker, db, utcnow

    fernet, now = Fernet(old_key.encode()), utcnow()
    db.session.execute(sa.insert(Brand), [{"id": "b1", "name": "Bench brand", "kyc_status": "verified"}])
    db.session.execute(sa.insert(Room), [{"id": "r1", "platform": "douyin", "name": "Bench room"}])
    db.session.execute(sa.insert(Campaign), [{"id": "c1", "brand_id": "b1", "room_id": "r1", "action": "like",
                                              "reward_cents": 50, "budget_cents": 50 * proofs,
                                              "commission_rate": 0.15, "status": "active"}])
    db.session.execute(sa.insert(Worker), [{"id": f"w{i:05d}", "created_at": now - timedelta(days=400)}
                                           for i in range(20_000)])
    for start in range(0, proofs, 20_000):
        rows, decisions = [], []
        for i in range(start, min(proofs, start + 20_000)):
            # 85% settled long ago, 10% policy approvals inside the hold window, 5% fresh and unscored
            kind = "settled" if i % 20 < 17 else ("held" if i % 20 < 19 else "fresh")
            at = now - (timedelta(days=200) if kind == "settled" else timedelta(minutes=1))
            rows.append({
                "id": f"p{i:07d}", "campaign_id": "c1", "worker_id": f"w{i % 20_000:05d}", "accepted_at": at,
                "submitted_at": at, "ingested_at": at, "ip_enc": fernet.encrypt(f"10.{i % 250}.0.1".encode()).decode(),
                "ip_hash": f"{i:x}", "ip_prefix_hash": "-", "ip_version": 4, "user_agent": "Mozilla/5.0 (iPhone)",
                "device_present": True, "device_platform": "iPhone", "device_os": "iOS 18", "device_screen": "390x844",
                "device_timezone": "Asia/Shanghai", "device_language": "zh-CN", "device_webgl_renderer": "Apple GPU",
                "device_touch_points": 5, "device_hardware_concurrency": 6, "source": "import",
                "state": {"settled": "settled", "held": "approved", "fresh": "received"}[kind]})
            if kind != "fresh":
                decisions.append({"proof_id": f"p{i:07d}", "decision": "approved", "decided_at": at,
                                  "actor_kind": "import" if kind == "settled" else "system"})
        db.session.execute(sa.insert(Proof), rows)
        db.session.execute(sa.insert(ReviewDecision), decisions)
    db.session.commit()
    db.session.execute(sa.text("ANALYZE"))
    db.session.commit()


def timed(label: str, func) -> object:  # noqa: ANN001
    started = time.perf_counter()
    result = func()
    print(f"{label}: {time.perf_counter() - started:.2f} s -> {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--proofs", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=2000)
    args = parser.parse_args()
    from cryptography.fernet import Fernet

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    url = scratch_postgres(DB_NAME)
    print(f"machine: {machine()}; {args.proofs} proofs, batch {args.batch_size}")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            from flask_migrate import upgrade

            app = make_app(url, Path(tmp), old)
            with app.app_context():
                upgrade()
                timed("load", lambda: load_world(args.proofs, old))
                from app.admin.jobs import purge_expired_personal_data, reconcile
                from app.admin.services import settings
                from models import Setting, db

                db.session.add(Setting(name=settings.RETENTION_BATCH.name, value=args.batch_size))
                db.session.commit()
                for _ in range(3):
                    timed("reconcile, nothing owed", reconcile)
                timed("retention run", lambda: purge_expired_personal_data("cli"))
                timed("retention run again", lambda: purge_expired_personal_data("cli"))
            app = make_app(url, Path(tmp), f"{new},{old}")
            with app.app_context():
                runner = app.test_cli_runner()
                for label in ("pii rotate", "pii rotate again"):
                    out = timed(label, lambda: runner.invoke(args=["pii", "rotate", "--batch-size", "2000"]))
                    print("   ", out.output.strip().splitlines()[-4])
    finally:
        drop_postgres(DB_NAME)


if __name__ == "__main__":
    main()

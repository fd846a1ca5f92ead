"""Cluster view, bulk-action preview and grouped queue list over a large history with one big ring.

usage: .venv/bin/python scripts/bench/cluster_view.py [--items 1000000] [--ring 500] [--runs 10]
Fills a scratch PostgreSQL database like queue_pages.py (N proofs, 2% pending hold, 8% pending review),
adds a farm of RING accounts (10 handsets shared by all of them, one reused screenshot, 4 proofs each,
half pending in the hold tab), then times full HTTP requests as a signed-in moderator. Prints median
and p95 in ms.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app import create_app  # noqa: E402
from app.auth.services.staff import create_staff  # noqa: E402
from app.platform.warmup import freeze_heap  # noqa: E402
from app.review.services.priority import rekey  # noqa: E402
from config import TestingConfig  # noqa: E402
from models import db  # noqa: E402
from scripts.bench.common import drop_postgres, machine, scratch_postgres  # noqa: E402
from scripts.bench.queue_pages import T0, fill, get, timed  # noqa: E402


def add_ring(accounts: int, ip_token: str) -> None:
    seq = f"WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {accounts * 4})"
    statements = [
        f"{seq} INSERT INTO workers (id, created_at, region, imported_at) SELECT 'ring' || i, :t0, 'CN-GD', :t0"
        f" FROM seq WHERE i <= {accounts}",
        f"{seq} INSERT INTO proofs (id, campaign_id, worker_id, accepted_at, submitted_at, ip_enc, ip_hash,"
        " ip_prefix_hash, ip_version, device_present, device_fp_hash, screenshot_sha256, state, source,"
        " ingested_at, state_changed_at)"
        f" SELECT 'rp' || i, 'c' || (1 + i % 100), 'ring' || (1 + i % {accounts}), :t0, :t0, :ip,"
        " 'ringip' || i, 'ringnet' || (i % 40), 4, true, 'ringfp' || (i % 10), 'ringshot',"
        f" CASE WHEN i <= {accounts * 2} THEN 'in_review' ELSE 'rejected' END, 'import', :t0, :t0 FROM seq",
        f"{seq} INSERT INTO proof_scores (proof_id, risk_score, route, reasons, signals, degraded, scored_at)"
        " SELECT 'rp' || i, 0.9, 'hold', 'graph.ring', CAST('[]' AS JSON), false, :t0 FROM seq",
        f"{seq} INSERT INTO review_items (proof_id, campaign_id, queue, status, priority, created_at, updated_at)"
        f" SELECT 'rp' || i, 'c' || (1 + i % 100), 'hold', CASE WHEN i <= {accounts * 2} THEN 'open'"
        " ELSE 'decided' END, 0.9, :t0, :t0 FROM seq",
    ]
    for statement in statements:
        db.session.execute(sa.text(statement), {"t0": T0, "ip": ip_token})
    rekey()  # the ring's items take their place in the queue's order
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))


def bench(url: str, n: int, ring: int, runs: int, workdir: Path) -> None:
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        INSTANCE_DIR = workdir / "instance"
        REDIS_URL = None

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        token = app.extensions["pii"].encrypt("223.104.3.7")
        fill(n, token)
        add_ring(ring, token)
        create_staff("mod@bench.local", "Mod", "moderator", "correct-horse")
        db.session.commit()
        client = app.test_client()
        client.post("/login", data={"email": "mod@bench.local", "password": "correct-horse"})
        freeze_heap()  # as wsgi.py does once a web worker has started
        page = client.get("/queue/proofs/rp1/cluster").get_data(as_text=True)
        drawn, listed = page.count('class="account'), page.count('name="proof_id"')
        print(f"  cluster of rp1: {drawn} accounts drawn, {listed} waiting proofs listed")
        timed(f"cluster view (ring of {ring} accounts)", runs, lambda _: get(client, "/queue/proofs/rp1/cluster"))
        timed("bulk-action preview (whole ring)", runs, lambda _: _preview(client))
        timed("cluster view (ordinary proof)", runs, lambda _: get(client, "/queue/proofs/p100/cluster"))
        timed("grouped list: hold by worker", runs, lambda _: get(client, "/queue/groups?q=hold&by=worker"))
        timed("grouped list: hold by ring", runs, lambda _: get(client, "/queue/groups?q=hold&by=ring"))


def _preview(client) -> None:  # noqa: ANN001
    response = client.post("/queue/proofs/rp1/cluster/preview", data={
        "decision": "rejected", "reason_code": "fraud_ring", "scope": "all", "preview": "1"})
    if response.status_code != 200:
        raise SystemExit(f"preview: {response.status_code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--ring", type=int, default=500)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    print(f"postgresql: {args.items:,} proofs and a ring of {args.ring} accounts")
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        try:
            bench(scratch_postgres("wb_bench_cluster"), args.items, args.ring, args.runs, Path(tmp))
        finally:
            drop_postgres("wb_bench_cluster")


if __name__ == "__main__":
    main()

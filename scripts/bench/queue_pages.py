"""Workbench response times with a large review history: queue pages, filters, claim next, proof page.

usage: .venv/bin/python scripts/bench/queue_pages.py [--items 1000000] [--backends postgresql,sqlite] [--runs 15]
Fills a scratch database with N proofs, scores and review items in SQL (75% policy approvals, 15%
decided by people, 8% pending review, 2% pending hold; pending ones arrived over the last two days), then
times full HTTP requests through the Flask test client as a signed-in moderator (query + template).
Prints median and p95 in ms.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app import create_app  # noqa: E402
from app.auth.services.staff import create_staff  # noqa: E402
from app.platform.warmup import freeze_heap  # noqa: E402
from app.review.services.priority import rekey  # noqa: E402
from config import TestingConfig  # noqa: E402
from models import db, utcnow  # noqa: E402
from scripts.bench.common import drop_postgres, machine, scratch_postgres  # noqa: E402

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC).replace(tzinfo=None)
HOT_PREFIX_EVERY = 20  # every 20th proof shares one /24 (a carrier CGNAT block): the worst linked-accounts case


def fill(n: int, ip_token: str) -> None:
    """Rows made by one INSERT ... SELECT per table over a recursive counter (works on both databases).

    i % 100 picks the queue and state; campaign (i / 100) and worker (i / 10) vary independently of it,
    so every campaign and worker has pending and decided proofs, as in real traffic.
    """
    pg = db.engine.dialect.name == "postgresql"
    as_json = "CAST('[]' AS JSON)" if pg else "'[]'"
    seq = f"WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < {n})"
    risk = "(((i % 10007) * 7919) % 10007) / 10007.0"
    statements = [
        "INSERT INTO brands (id, name, kyc_status, imported_at) VALUES ('b1', 'Brand', 'verified', :t0)",
        "INSERT INTO rooms (id, platform, name) VALUES ('r1', 'douyin', 'Room')",
        f"{seq} INSERT INTO campaigns (id, brand_id, room_id, action, reward_cents, budget_cents, commission_rate,"
        " status, imported_at) SELECT 'c' || i, 'b1', 'r1', 'comment', 100, 1000000, 0.15, 'active', :t0"
        " FROM seq WHERE i <= 100",
        f"{seq} INSERT INTO workers (id, created_at, region, imported_at) SELECT 'w' || i, :t0, 'CN-GD', :t0"
        f" FROM seq WHERE i <= {max(n // 10, 1)}",
        f"{seq} INSERT INTO proofs (id, campaign_id, worker_id, accepted_at, submitted_at, ip_enc, ip_hash,"
        " ip_prefix_hash, ip_version, device_present, device_fp_hash, state, source, ingested_at, state_changed_at)"
        f" SELECT 'p' || i, 'c' || (1 + (i / 100) % 100), 'w' || (1 + (i / 10) % {max(n // 10, 1)}), :t0, :t0, :ip,"
        " 'ip' || (i % 50000),"
        f" CASE WHEN i % {HOT_PREFIX_EVERY} = 0 THEN 'hot' ELSE 'net' || (i % 5000) END, 4, true,"
        " 'fp' || (i % 200000),"
        " CASE WHEN i % 100 < 75 THEN 'approved' WHEN i % 100 < 90 THEN 'rejected' ELSE 'in_review' END,"
        " 'import', :t0, :t0 FROM seq",
        f"{seq} INSERT INTO proof_scores (proof_id, risk_score, route, reasons, signals, degraded, scored_at)"
        f" SELECT 'p' || i, {risk}, CASE WHEN i % 100 < 75 THEN 'auto_approve' WHEN i % 100 >= 98 THEN 'hold'"
        " ELSE 'review' END, CASE WHEN i % 997 = 0 THEN 'device.emulator;ip.shared' WHEN i % 3 = 0 THEN 'ip.shared'"
        f" ELSE '' END, {as_json}, false, :t0 FROM seq",
        f"{seq} INSERT INTO review_items (proof_id, campaign_id, queue, status, priority, created_at, updated_at)"
        " SELECT 'p' || i, 'c' || (1 + (i / 100) % 100),"
        " CASE WHEN i % 100 < 75 THEN 'auto' WHEN i % 100 >= 98 THEN 'hold' ELSE 'review' END,"
        f" CASE WHEN i % 100 < 90 THEN 'decided' ELSE 'open' END, {risk}, :t0, :t0 FROM seq",
    ]
    for statement in statements:
        db.session.execute(sa.text(statement), {"t0": T0, "ip": ip_token})
    spread_arrivals()
    db.session.commit()
    # Production runs autovacuum; without it a bulk-loaded table has no visibility map or statistics.
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE" if pg else "ANALYZE"))


SPREAD_MINUTES = 2880  # pending items arrived over the last two days: some past due, some not


def spread_arrivals() -> None:
    """Pending items arrive one a minute apart over two days before now (so the hold tab, due in 4 h, is
    mostly past due and the review tab, due in 24 h, half), then take their key in the queue's order."""
    now = utcnow().replace(tzinfo=None)
    if db.engine.dialect.name == "postgresql":
        arrival = "CAST(:now AS timestamp) - (id % :spread) * interval '1 minute'"
    else:
        arrival = "strftime('%Y-%m-%d %H:%M:%f', :now, '-' || (id % :spread) || ' minutes')"
    db.session.execute(sa.text(f"UPDATE review_items SET created_at = {arrival} WHERE status <> 'decided'"),
                       {"now": now, "spread": SPREAD_MINUTES})
    rekey()


def timed(label: str, runs: int, call: Callable[[int], object]) -> None:
    samples = []
    for run in range(runs):
        started = time.perf_counter()
        call(run)
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    print(f"  {label:<44} median {statistics.median(samples):7.1f} ms   p95 {p95:7.1f} ms")


def deep_cursor(offset: int) -> str:
    """The cursor a moderator would hold after paging `offset` rows into the review tab."""
    row = db.session.execute(sa.text(
        "SELECT sort_key, id FROM review_items WHERE queue = 'review' AND status = 'open'"
        " AND created_at >= :cutoff ORDER BY sort_key DESC, id DESC LIMIT 1 OFFSET :o"),
        {"o": offset, "cutoff": utcnow().replace(tzinfo=None) - timedelta(hours=24)}).one()
    return f"0_{row[0]!r}_{row[1]}"  # within the service level: tier 0


def get(client, url: str) -> None:  # noqa: ANN001
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url}: {response.status_code}")


def bench(url: str, n: int, runs: int, workdir: Path) -> None:
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        INSTANCE_DIR = workdir / "instance"
        REDIS_URL = None

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        fill(n, app.extensions["pii"].encrypt("223.104.3.7"))
        print(f"  filled {n:,} proofs/scores/items in {time.perf_counter() - started:.0f} s")
        create_staff("mod@bench.local", "Mod", "moderator", "correct-horse")
        db.session.commit()
        cursor = deep_cursor(min(20_000, n * 3 // 100))
        client = app.test_client()
        client.post("/login", data={"email": "mod@bench.local", "password": "correct-horse"})
        freeze_heap()  # as wsgi.py does once a web worker has started
        timed("queue page 1 (review tab, counts, charts)", runs, lambda _: get(client, "/queue/?q=review"))
        deep = f"/queue/?q=review&after={cursor}"
        timed("queue page deep in the review tab (keyset)", runs, lambda _: get(client, deep))
        timed("filter campaign", runs, lambda _: get(client, "/queue/?q=review&campaign=c7"))
        timed("filter brand", runs, lambda _: get(client, "/queue/?q=review&brand=b1"))
        timed("filter rare signal (1 in 997)", runs, lambda _: get(client, "/queue/?q=review&signal=device.emulator"))
        timed("filter worker", runs, lambda _: get(client, "/queue/?q=review&worker=w91"))
        timed("auto tab (QA sample of policy approvals)", runs, lambda _: get(client, "/queue/?q=auto"))
        timed("claim next + release (POST, commit)", runs, lambda _: _claim_and_release(client))
        timed("proof page (hot /24 with 5% of all proofs)", runs, lambda _: get(client, "/queue/proofs/p60"))


def _claim_and_release(client) -> None:  # noqa: ANN001
    response = client.post("/queue/claim-next?q=review", data={"claim": "1"})
    proof_id = response.location.split("/proofs/")[1].split("?")[0]
    client.post(f"/queue/proofs/{proof_id}/release?q=review", data={"release": "1"})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--backends", default="postgresql,sqlite")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    for backend in args.backends.split(","):
        with tempfile.TemporaryDirectory(prefix="bench-queue-") as tmp:
            print(f"{backend}: {args.items:,} review items")
            if backend == "postgresql":
                try:
                    bench(scratch_postgres("wb_bench_queue"), args.items, args.runs, Path(tmp))
                finally:
                    drop_postgres("wb_bench_queue")
            else:
                bench(f"sqlite:///{Path(tmp) / 'bench.db'}", args.items, args.runs, Path(tmp))


if __name__ == "__main__":
    main()

"""Claim next with concurrent moderators over a large backlog: latency, and no item ever claimed twice.

usage: .venv/bin/python scripts/bench/claim_next.py [--items 1000000] [--moderators 10] [--claims 200]
Fills a scratch PostgreSQL database like queue_pages.py (N proofs, 10% pending: 8% review, 2% hold,
pending ones arrived over the last two days), then starts one process per moderator (as the app's
worker processes would serve them). Each signs in and presses "claim next" (POST /queue/claim-next,
the whole request: claim, commit, redirect) CLAIMS times, alternating the review and hold tabs; after
each claim it decides the item outside the timing (one UPDATE), so the next press must claim another.
One run per --think-ms value: 0 presses again at once (a stress test: ten processes on the machine's
cores), 1000 pauses a random 0-2 s between presses (a moderator reads the proof before the next one).
Prints median and p95 in ms over all presses, and how many proofs were claimed more than once (must be 0).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app import create_app  # noqa: E402
from app.auth.services.staff import create_staff  # noqa: E402
from app.platform.warmup import freeze_heap  # noqa: E402
from config import TestingConfig  # noqa: E402
from models import db  # noqa: E402
from scripts.bench.common import cpu_reference, drop_postgres, machine, scratch_postgres  # noqa: E402
from scripts.bench.queue_pages import fill  # noqa: E402

PASSWORD = "correct-horse"


def _app(url: str, workdir: Path):  # noqa: ANN202
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        INSTANCE_DIR = workdir / "instance"
        REDIS_URL = None

    return create_app(Config)


def moderator(url: str, workdir: str, index: int, claims: int, think_ms: float, ready: multiprocessing.Queue,
              start: multiprocessing.Event, out: multiprocessing.Queue) -> None:
    app = _app(url, Path(workdir))
    samples, claimed = [], []
    pause = random.Random(index)
    with app.app_context():
        client = app.test_client()
        client.post("/login", data={"email": f"mod{index}@bench.local", "password": PASSWORD})
        freeze_heap()  # as wsgi.py does once a web worker has started
        decide = sa.text("UPDATE review_items SET status = 'decided' WHERE proof_id = :p")
        ready.put(index)
        start.wait()
        for run in range(claims):
            if think_ms:  # looking at the proof before the next press: uniform 0..2x the mean
                time.sleep(pause.uniform(0, 2 * think_ms) / 1000)
            tab = "hold" if (run + index) % 2 else "review"
            started = time.perf_counter()
            response = client.post(f"/queue/claim-next?q={tab}", data={"claim": "1"})
            samples.append((time.perf_counter() - started) * 1000)
            location = response.headers.get("Location", "")
            if "/proofs/" not in location:
                raise SystemExit(f"moderator {index}: nothing claimed ({response.status_code} {location})")
            proof_id = location.split("/proofs/")[1].split("?")[0]
            claimed.append(proof_id)
            db.session.execute(decide, {"p": proof_id})  # a decision, outside the timing
            db.session.commit()
    out.put((samples, claimed))


def bench(url: str, n: int, moderators: int, claims: int, thinks: list[float], workdir: Path) -> None:
    app = _app(url, workdir)
    with app.app_context():
        db.create_all()
        started = time.perf_counter()
        fill(n, app.extensions["pii"].encrypt("223.104.3.7"))
        print(f"  filled {n:,} proofs/scores/items in {time.perf_counter() - started:.0f} s")
        pending = db.session.scalar(sa.text("SELECT count(*) FROM review_items WHERE status <> 'decided'"))
        print(f"  pending items: {pending:,}")
        for i in range(moderators):
            create_staff(f"mod{i}@bench.local", f"Mod {i}", "moderator", PASSWORD)
        db.session.commit()
        db.engine.dispose()  # the moderators' processes open their own connections
    for think in thinks:
        run_moderators(url, workdir, moderators, claims, think)


def run_moderators(url: str, workdir: Path, moderators: int, claims: int, think_ms: float) -> None:
    context = multiprocessing.get_context("fork")
    ready, start, out = context.Queue(), context.Event(), context.Queue()
    workers = [context.Process(target=moderator, args=(url, str(workdir), i, claims, think_ms, ready, start, out))
               for i in range(moderators)]
    for worker in workers:
        worker.start()
    for _ in workers:
        ready.get()  # every process has built its app and signed in
    print(f"  think time {think_ms:.0f} ms (mean) between presses; load average before: {os.getloadavg()}")
    start.set()
    results = [out.get() for _ in workers]
    for worker in workers:
        worker.join()
    print(f"  load average after: {os.getloadavg()}")
    samples = sorted(s for r in results for s in r[0])
    claimed = Counter(p for r in results for p in r[1])
    p95 = samples[min(len(samples) - 1, int(round(0.95 * (len(samples) - 1))))]
    print(f"  claim next, {moderators} moderators at once, {len(samples)} presses: "
          f"median {statistics.median(samples):6.1f} ms   p95 {p95:6.1f} ms   max {samples[-1]:6.1f} ms")
    twice = sum(1 for count in claimed.values() if count > 1)
    print(f"  proofs claimed: {len(claimed):,} distinct of {sum(claimed.values()):,} claims; claimed twice: {twice}")
    if twice:
        raise SystemExit("an item was claimed twice")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--moderators", type=int, default=10)
    parser.add_argument("--claims", type=int, default=200)
    parser.add_argument("--think-ms", default="0,1000",
                        help="mean pause between one moderator's presses, one run per value (0: press again at once)")
    args = parser.parse_args()
    print(f"machine: {machine()}; cpu reference {cpu_reference():.0f} ms")
    print(f"postgresql: {args.items:,} review items, {args.moderators} moderators x {args.claims} claims")
    with tempfile.TemporaryDirectory(prefix="bench-claim-") as tmp:
        try:
            bench(scratch_postgres("wb_bench_claim"), args.items, args.moderators, args.claims,
                  [float(v) for v in args.think_ms.split(",")], Path(tmp))
        finally:
            drop_postgres("wb_bench_claim")


if __name__ == "__main__":
    main()

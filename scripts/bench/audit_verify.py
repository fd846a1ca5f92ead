"""`audit verify` speed on PostgreSQL: chain N audit events, then time the verification.

usage: .venv/bin/python scripts/bench/audit_verify.py [--events 200000] [--batch 20000]
Builds a scratch database (wb_bench_audit), writes N chained events in bulk (realistic shapes: a staff
or system actor, a small `data` object, before/after on one in four, a reason on one in three), then
times `verify_chain()` (what `flask audit verify` runs) and prints the rate and its extrapolation to
1,000,000 events. The bar (issue 21): 1,000,000 events in <= 30 s. The database is dropped after.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import cpu_reference, drop_postgres, machine, scratch_postgres  # noqa: E402
from scripts.bench.settlement import make_app  # noqa: E402

DB_NAME = "wb_bench_audit"
T0 = datetime(2026, 10, 1, tzinfo=UTC)
FIELDS = ("at", "actor_id", "actor_label", "action", "object_type", "object_id", "data", "before", "after", "reason")
ACTIONS = ("proof.approved", "proof.rejected", "ledger.settle", "brand.kyc_changed", "staff.login")


def _event(i: int) -> dict:
    before = {"kyc_status": "pending"} if i % 4 == 0 else None
    return {"at": T0 + timedelta(seconds=i, microseconds=i % 997), "actor_id": None,
            "actor_label": "system" if i % 3 else f"staff{i % 40}@example.test", "action": ACTIONS[i % 5],
            "object_type": "proof", "object_id": f"p{i:08d}", "data": {"score": round((i % 100) / 100, 2),
                                                                       "reason_code": "fake", "n": i},
            "before": before, "after": {"kyc_status": "verified"} if before else None,
            "reason": "licence checked against the registry" if i % 3 == 0 else None}


def load(events: int) -> None:
    import sqlalchemy as sa

    from app.platform.audit import GENESIS, event_hash
    from models import AuditChainHead, AuditEvent, db

    prev, rows = GENESIS, []
    for i in range(1, events + 1):
        row = {**_event(i), "prev_hash": prev}
        row["hash"] = prev = event_hash(*(row[name] for name in FIELDS), prev)
        row["id"] = i
        rows.append(row)
        if len(rows) == 20000:
            db.session.connection().execute(sa.insert(AuditEvent.__table__), rows)
            rows = []
    if rows:
        db.session.connection().execute(sa.insert(AuditEvent.__table__), rows)
    db.session.add(AuditChainHead(id=1, last_event_id=events, last_hash=prev, events=events))
    db.session.commit()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=20_000)
    args = parser.parse_args()
    print(f"machine: {machine()}; cpu reference loop {cpu_reference():.0f} ms")
    url = scratch_postgres(DB_NAME)
    try:
        app = make_app(url, Path(tempfile.mkdtemp()))
        with app.app_context():
            from app.platform.audit import verify_chain
            from models import db

            db.create_all()
            started = time.perf_counter()
            load(args.events)
            print(f"chained and loaded {args.events} events in {time.perf_counter() - started:.1f} s")
            times = []
            for _ in range(2):
                db.session.remove()
                started = time.perf_counter()
                report = verify_chain(batch=args.batch)
                times.append(time.perf_counter() - started)
                assert report.ok and report.checked == args.events, report
            best = min(times)
            rate = args.events / best
            print(f"verify: {args.events} events in {best:.2f} s (runs: {', '.join(f'{t:.2f}' for t in times)}), "
                  f"{rate:,.0f} events/s, {1e6 * best / args.events:.1f} us/event")
            print(f"extrapolated to 1,000,000 events: {1_000_000 / rate:.1f} s (linear: one streamed pass)")
    finally:
        drop_postgres(DB_NAME)


if __name__ == "__main__":
    main()

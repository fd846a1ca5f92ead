"""What entity-level relief costs scoring: the mutes query every scoring call makes, and applying mutes
to a large batch's rule output.

  python -m scripts.bench.relief_hook [--targets 100000] [--active 1000] [--total 10000] [--workers 20000]

1. Online overhead: a scratch PostgreSQL database (wb_bench_relief) holds `--total` mutes of which
   `--active` are in force; `active_mutes()` (the one query `relieve` makes per scoring call) is
   timed 200 times; and with no mute at all (the common case: `relieve` returns at once).
2. `apply_mutes` over a synthetic rule output (35 signals, two fired reasons per proof) with
   `--active` worker mutes: for one proof whose worker is muted (online, median of 50) and for a
   batch of `--targets` proofs of `--workers` workers (median of 5).
"""
from __future__ import annotations

import argparse
import statistics
import time
from datetime import timedelta

import numpy as np
import pandas as pd

from scripts.bench.common import cpu_reference, drop_postgres, machine, scratch_postgres

PG_NAME = "wb_bench_relief"


def _timed(fn, repeat: int) -> list[float]:  # noqa: ANN001
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def online(active: int, total: int) -> dict[str, float]:
    from app import create_app
    from app.scoring.services.mutes import active_mutes
    from config import TestingConfig
    from models import SignalMute, db, utcnow

    url = scratch_postgres(PG_NAME)

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        REDIS_URL = None

    app = create_app(Config)
    try:
        with app.app_context():
            db.create_all()
            empty = statistics.median(_timed(active_mutes, 200))
            now = utcnow()
            rows = [{"signal_code": "device.shared_fingerprint", "entity_kind": "worker", "entity_value": f"w{i}",
                     "reason": "bench", "created_at": now - timedelta(days=2),
                     "expires_at": now + timedelta(days=7) if i < active else now - timedelta(days=1)}
                    for i in range(total)]
            db.session.execute(SignalMute.__table__.insert(), rows)
            db.session.commit()
            db.session.execute(db.text("ANALYZE signal_mutes"))
            db.session.commit()
            found = len(active_mutes())
            assert found == active, found
            loaded = _timed(active_mutes, 200)
            db.session.remove()
            db.engine.dispose()
    finally:
        drop_postgres(PG_NAME)
    return {"no_mutes_ms": empty, "median_ms": statistics.median(loaded),
            "p95_ms": sorted(loaded)[int(len(loaded) * 0.95)]}


def batch(targets: int, active: int, workers: int, repeat: int = 5) -> dict[str, float]:
    from review_rules.engine import RuleOutput, default_config, hard_hold, noisy_or, validate_config
    from review_rules.registry import all_signals
    from review_rules.relief import MUTE_COLUMNS, apply_mutes

    rng = np.random.default_rng(7)
    codes = [s.code for s in all_signals()]
    index = pd.Index([f"p{i}" for i in range(targets)], name="proof_id")
    values = np.where(rng.random((targets, len(codes))) < 0.06, rng.random((targets, len(codes))), 0.0)
    scores = pd.DataFrame(values, index=index, columns=codes)
    config = validate_config(default_config())
    fired = [[{"code": codes[k], "score": 0.5, "reason": "x"} for k in (i % len(codes), (i * 7) % len(codes))]
             for i in range(targets)]
    output = RuleOutput(scores, pd.DataFrame(index=index), pd.Series(fired, index=index, dtype=object),
                        noisy_or(scores, config), hard_hold(scores, config))
    proofs = pd.DataFrame({"proof_id": index, "worker_id": [f"w{i % workers}" for i in range(targets)],
                           "ip_hash": None, "device_fp_hash": None, "campaign_id": None})
    mutes = pd.DataFrame([(i, codes[i % len(codes)], "worker", f"w{i}") for i in range(active)],
                         columns=list(MUTE_COLUMNS), dtype=object)
    times = _timed(lambda: apply_mutes(output, proofs, mutes, config), repeat)
    touched = int((proofs["worker_id"].isin(set(mutes["entity_value"]))).sum())
    return {"median_ms": statistics.median(times), "proofs_touched": touched}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--targets", type=int, default=100_000)
    parser.add_argument("--active", type=int, default=1_000)
    parser.add_argument("--total", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=20_000)
    args = parser.parse_args()
    print(f"machine: {machine()}; cpu reference {cpu_reference():.0f} ms")
    o = online(args.active, args.total)
    print(f"online: active_mutes() with no mutes {o['no_mutes_ms']:.2f} ms; with {args.active} in force of "
          f"{args.total} stored: median {o['median_ms']:.2f} ms, p95 {o['p95_ms']:.2f} ms (PostgreSQL)")
    one = batch(1, args.active, 1, repeat=50)
    print(f"one proof: apply_mutes with {args.active} mutes in force, its worker muted: "
          f"median {one['median_ms']:.2f} ms")
    b = batch(args.targets, args.active, args.workers)
    print(f"batch: apply_mutes over {args.targets:,} proofs with {args.active} worker mutes "
          f"({b['proofs_touched']:,} proofs touched): median {b['median_ms']:.0f} ms")


if __name__ == "__main__":
    main()

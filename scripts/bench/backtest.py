"""Backtest speed: `flask rules backtest` of a draft over every labelled proof of a simulated world.

usage: .venv/bin/python scripts/bench/backtest.py [--proofs 20000] [--backend postgresql|sqlite]
       [--keep-db] [--reuse-db]   (PostgreSQL: keep the loaded database wb_bench_backtest_<proofs>_<days>
                                   for the next run; reuse it when it is there)
       [--flask-import]           (PostgreSQL: load with `flask import` instead of COPY; 200k took 332 s)

Not timed: simulating the world, loading it (on PostgreSQL with COPY, scripts/bench/copy_world.py:
a 1M world in minutes; `flask import --no-score` on SQLite), making a draft. Timed: the real command
end to end in a subprocess (interpreter start and app included), and the split it prints itself:
labels (one columnar read), load (every proof as columns), rules (point in time, day by day, for the
draft and the active version), model, figures. Then `flask rules try` on one proof, 20 times in one
process: the figure an operator waits for on the try page (both versions, context read per version),
cold, and again after the warm-up a web worker does at start (wsgi.py; its own time printed apart).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench import common  # noqa: E402
from scripts.simulate import SimulationOptions, generate_world  # noqa: E402

DB_NAME = "wb_bench_backtest"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--proofs", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--backend", default="postgresql", choices=("postgresql", "sqlite"))
    parser.add_argument("--chunk-hours", default="24", help="passed to the command; 0 = one pass")
    parser.add_argument("--keep-db", action="store_true", help="PostgreSQL: keep the database after the run")
    parser.add_argument("--reuse-db", action="store_true", help="PostgreSQL: reuse a kept database of this size")
    parser.add_argument("--flask-import", action="store_true", help="PostgreSQL: load with `flask import`, not COPY")
    args = parser.parse_args()
    keep = args.backend == "postgresql" and (args.keep_db or args.reuse_db)
    name = f"{DB_NAME}_{args.proofs}_{args.days}" if keep else DB_NAME
    options = SimulationOptions(proofs=args.proofs, workers=max(1500, args.proofs // 8), campaigns=60,
                                days=args.days, seed=5)
    with tempfile.TemporaryDirectory(prefix="bench-backtest-") as tmp:
        workdir = Path(tmp)
        url = common.PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
        reused = args.reuse_db and args.backend == "postgresql" and _imported(url)
        if not reused:
            generate_world(workdir / "world", options)
            url = f"sqlite:///{workdir / 'bench.db'}" if args.backend == "sqlite" else common.scratch_postgres(name)
        env = {"DATABASE_URL": url, "INSTANCE_DIR": str(workdir / "instance"), "REDIS_URL": "",
               "MODEL_DIR": str(workdir / "models")}
        try:
            if not reused:
                common.flask(["db", "upgrade"], env)
                if args.backend == "postgresql" and not args.flask_import:
                    loaded, _ = common.run_script("scripts/bench/copy_world.py", [str(workdir / "world")], env)
                    print(f"loaded with COPY in {loaded:.1f} s (not timed below)")
                else:
                    common.flask(["import", str(workdir / "world"), "--no-score"], env)
                common.flask(["rules", "draft", "--set", "thresholds.hold_at_or_above=0.6",
                       "--set", "ip.shared_accounts.min_accounts=4"], env)
            since = options.start.date().isoformat()
            until = (options.start.date() + timedelta(days=args.days + 2)).isoformat()
            seconds, out = common.flask(["rules", "backtest", "draft", "--since", since, "--until", until, "--json",
                                  "--chunk-hours", args.chunk_hours], env)
            proof_id = _middle_proof(url)
            _, tried = common.flask(["rules", "try", proof_id, "--version", "draft", "--repeat", "20"], env)
            _, warmed = common.flask(["rules", "try", proof_id, "--version", "draft", "--repeat", "20", "--warm"], env)
        finally:
            if args.backend == "postgresql" and not keep:
                common.drop_postgres(name)
    results = json.loads(out)
    print(f"machine: {common.machine()}; cpu reference {common.cpu_reference():.0f} ms; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"world: {args.proofs} proofs over {args.days} days on {args.backend}{' (reused)' if reused else ''}, "
          f"chunk {args.chunk_hours} h; "
          f"{results['proofs']} labelled in the period ({results['rejected']} rejected)")
    print(f"end to end: {seconds:.1f} s (command in a subprocess); split: "
          + ", ".join(f"{k} {v:.2f}s" for k, v in results["timings"].items()))
    print(f"draft v{results['version']}: precision {results['precision']}, recall {results['recall']}, "
          f"flagged {results['flagged']}, held {results['held']}, money held {results['money_held_cents'] / 100:.2f}; "
          f"active v{results['active']['version']}: precision {results['active']['precision']}, "
          f"recall {results['active']['recall']}, flagged {results['active']['flagged']}; "
          f"routes changed {results['changes']['count']}")
    print(f"try on one proof ({proof_id}, active and draft, in-process): {tried.strip().splitlines()[-1]}")
    warm_lines = warmed.strip().splitlines()
    print(f"after a web worker's warm-up ({warm_lines[0]}): {warm_lines[-1]}")


def _imported(url: str) -> bool:
    """The kept database is there, imported, with a draft."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return bool(conn.execute(sa.text("SELECT count(*) FROM rule_sets WHERE status = 'draft'")).scalar()) and \
                bool(conn.execute(sa.text("SELECT EXISTS (SELECT 1 FROM proofs)")).scalar())
    except sa.exc.SQLAlchemyError:
        return False
    finally:
        engine.dispose()


def _middle_proof(url: str) -> str:
    """A proof from the middle of the world's time: one with a full history behind it."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = conn.execute(sa.text("SELECT id FROM proofs ORDER BY submitted_at, id "
                                     "OFFSET (SELECT count(*) / 2 FROM proofs) LIMIT 1")).scalar()
    engine.dispose()
    return str(found)


if __name__ == "__main__":
    main()

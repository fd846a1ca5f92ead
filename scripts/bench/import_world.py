"""Import throughput: `flask import DIR` of a simulated world on SQLite and PostgreSQL.

usage: .venv/bin/python scripts/bench/import_world.py [--proofs 100000] [--backends sqlite,postgresql]
Times the real CLI in a subprocess: first import (store only, --no-score), then the repeat
import (must change nothing), then `flask score` for the same world.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import drop_postgres, flask, machine, scratch_postgres  # noqa: E402
from scripts.simulate import SimulationOptions, generate_world  # noqa: E402


def bench_backend(backend: str, world: Path, workdir: Path, proofs: int) -> dict[str, float]:
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        url = scratch_postgres("wb_bench_import")
    env = {"DATABASE_URL": url, "INSTANCE_DIR": str(workdir / "instance"), "REDIS_URL": ""}
    try:
        flask(["db", "upgrade"], env)
        first, _ = flask(["import", str(world), "--no-score"], env)
        again, out = flask(["import", str(world), "--no-score"], env)
        assert "nothing new" in out, out
        score, _ = flask(["score"], env)
    finally:
        if backend == "postgresql":
            drop_postgres("wb_bench_import")
    return {"import_s": first, "proofs_per_s": proofs / first, "repeat_s": again, "score_s": score}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--proofs", type=int, default=100_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        workdir = Path(tmp)
        world = workdir / "world"
        generate_world(world, SimulationOptions(proofs=args.proofs, workers=max(1500, args.proofs // 8),
                                                campaigns=120, seed=11))
        print(f"machine: {machine()}")
        print(f"world: {args.proofs} proofs")
        print(f"{'backend':<11} {'import s':>9} {'proofs/s':>9} {'repeat s':>9} {'score s':>8}")
        for backend in args.backends.split(","):
            r = bench_backend(backend, world, workdir, args.proofs)
            print(f"{backend:<11} {r['import_s']:>9.1f} {r['proofs_per_s']:>9.0f} {r['repeat_s']:>9.1f} "
                  f"{r['score_s']:>8.1f}")


if __name__ == "__main__":
    main()

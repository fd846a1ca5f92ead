"""Command line: python -m scripts.simulate OUT_DIR [--proofs N ...] (the Flask CLI wraps the same call)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from . import PATTERNS, SimulationOptions, generate_world


def main(argv: list[str] | None = None) -> int:
    """Parse options, generate the world, print the report as JSON."""
    defaults = SimulationOptions()
    p = argparse.ArgumentParser(prog="python -m scripts.simulate", description=__doc__)
    p.add_argument("out_dir", type=Path)
    for name in ("seed", "workers", "campaigns", "proofs", "days"):
        p.add_argument(f"--{name}", type=int, default=getattr(defaults, name))
    for name in ("fraud_rate", "labelled_share", "label_noise"):
        p.add_argument(f"--{name.replace('_', '-')}", dest=name, type=float, default=getattr(defaults, name))
    p.add_argument("--patterns", default=",".join(PATTERNS), help="comma-separated pattern names")
    p.add_argument("--holdout-pattern", default=None)
    p.add_argument("--start", default=defaults.start.isoformat(), help="ISO 8601 with offset")
    args = p.parse_args(argv)
    try:
        options = SimulationOptions(
            seed=args.seed, workers=args.workers, campaigns=args.campaigns, proofs=args.proofs,
            fraud_rate=args.fraud_rate, patterns=tuple(x for x in args.patterns.split(",") if x),
            holdout_pattern=args.holdout_pattern, days=args.days, labelled_share=args.labelled_share,
            label_noise=args.label_noise, start=datetime.fromisoformat(args.start))
        began = time.perf_counter()
        report = generate_world(args.out_dir, options, progress=_bar)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(file=sys.stderr)
    report["seconds"] = round(time.perf_counter() - began, 2)
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0


def _bar(done: int, total: int) -> None:
    width = 40
    filled = width * done // max(total, 1)
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {100 * done // max(total, 1):3d}%", end="",
          file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())

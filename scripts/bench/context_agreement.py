"""Do the online context caps change routes? Capped contexts against a context ten times larger.

usage (after `scripts/bench/scoring_speed.py online --keep-db` left the 1M database behind):
  .venv/bin/python scripts/bench/context_agreement.py [--proofs 300] [--seed 11]

Stored (imported) proofs are picked at random and each is scored alone, as the API scores one
proof, twice: with the active rule set's context caps, and with a reference context whose row
caps are lifted and whose linked accounts reach 10x further (200 accounts over 30 days). Prints
how often the routes agree, the risk differences, and the context sizes of both.
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from scripts.bench.common import machine  # noqa: E402
from scripts.bench.online_scoring import PG_NAME, bench_app, pg_url  # noqa: E402

LIFTED = 10**6
REFERENCE = {"account_rows_per_proof": LIFTED, "shared_rows_per_proof": LIFTED, "network_rows_per_proof": LIFTED,
             "campaign_rows_per_proof": LIFTED, "linked_rows_per_account": LIFTED,
             "linked_workers_per_proof": 200, "linked_history_days": 30}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proofs", type=int, default=300)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wb-bench-speed"))
    parser.add_argument("--cap", action="append", default=[], metavar="NAME=VALUE",
                        help="try another context setting than the active rule set's (repeatable), "
                             "e.g. --cap linked_rows_per_account=10")
    args = parser.parse_args()
    tried = dict(_setting(text) for text in args.cap)
    app = bench_app(pg_url(PG_NAME), args.workdir)
    with app.app_context():
        import sqlalchemy as sa

        from app.scoring.services.context import build_context
        from app.scoring.services.rulesets import load_active_rules
        from app.scoring.services.scoring import compute_scores
        from models import Proof, db

        caps = {**load_active_rules().config["context"], **tried}
        stored = list(db.session.scalars(sa.select(Proof.id).where(Proof.source != "api").order_by(Proof.id)))
        picked = random.Random(args.seed).sample(stored, args.proofs)
        rows = []
        for proof_id in picked:
            started = time.perf_counter()
            capped = build_context([proof_id], **caps)
            lookup = time.perf_counter() - started
            wide = build_context([proof_id], **{**caps, **REFERENCE})
            a = compute_scores([proof_id], context=capped).iloc[0]
            b = compute_scores([proof_id], context=wide).iloc[0]
            rows.append((proof_id, a.route, b.route, a.risk_score - b.risk_score, len(capped.proofs),
                         len(wide.proofs), lookup))
            db.session.rollback()
    same = np.array([r[1] == r[2] for r in rows])
    delta = np.abs([r[3] for r in rows])
    capped_rows, wide_rows = np.array([r[4] for r in rows]), np.array([r[5] for r in rows])
    print(f"machine: {machine()}")
    print(f"{len(rows)} stored proofs, each scored alone; caps {caps}")
    print(f"same route: {same.mean():.1%}; |risk difference| mean {delta.mean():.4f}, p95 "
          f"{np.percentile(delta, 95):.4f}, max {delta.max():.3f}")
    print("route changes (reference -> capped):", dict(Counter((r[2], r[1]) for r in rows if r[1] != r[2])) or "none")
    for proof_id, capped_route, wide_route, diff, *_ in (r for r in rows if r[1] != r[2]):
        print(f"  {proof_id}: {wide_route} -> {capped_route} (risk {diff:+.3f})")
    print(f"context rows, capped: p50 {np.median(capped_rows):.0f}, p95 {np.percentile(capped_rows, 95):.0f}, "
          f"max {capped_rows.max()}; reference: p50 {np.median(wide_rows):.0f}, "
          f"p95 {np.percentile(wide_rows, 95):.0f}, max {wide_rows.max()}")


def _setting(text: str) -> tuple[str, float]:
    name, _, value = text.partition("=")
    try:
        return name.strip(), float(value) if "." in value else int(value)
    except ValueError:
        raise SystemExit(f"--cap {text!r}: expected NAME=NUMBER, e.g. linked_rows_per_account=10") from None


if __name__ == "__main__":
    main()

"""Detection quality the way a new user meets it: the documented commands on a scratch database.

usage: .venv/bin/python scripts/bench/quality.py [--worlds A,B,C] [--workdir /tmp/wb-bench-quality]

Each world (a different size, fraud mix and seed, with one fraud pattern kept out of the labels)
is simulated (scripts/simulate), then run through the documented order, each a subprocess on a
fresh SQLite file (no shortcut through frames or in-process calls):

    flask --app app db upgrade
    flask --app app import DIR
    flask --app app ml train
    flask --app app score --all
    flask --app app export-scores FILE.csv

The exported scores of the later, unlabelled period (proofs submitted after the newest labelled
one) are compared with the simulator's truth (labels.jsonl): share routed to a person (review or
hold) of honest and fraud proofs, of the held-out pattern, per fraud pattern and per honest group;
PR-AUC and recall at 1% false-positive rate of risk_score. Bars (issue 19): honest <= 3%,
fraud >= 90%, held-out >= 80%, PR-AUC >= 0.92.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ml.evaluate import metrics  # noqa: E402
from scripts.bench.common import machine  # noqa: E402
from scripts.simulate import SimulationOptions, generate_world  # noqa: E402

PERSON = ("review", "hold")
BARS = {"honest routed": ("<=", 0.03), "fraud routed": (">=", 0.90), "held-out routed": (">=", 0.80),
        "PR-AUC": (">=", 0.92)}
# Small enough for a few minutes each on a shared two-core machine; different size, mix, seed and holdout.
WORLDS = {
    "A": dict(proofs=10_000, workers=1500, campaigns=40, seed=11, fraud_rate=0.2, holdout_pattern="dormant_wake"),
    "B": dict(proofs=12_000, workers=2500, campaigns=60, seed=23, fraud_rate=0.12, holdout_pattern="carrier_bot"),
    "C": dict(proofs=8_000, workers=1200, campaigns=30, seed=37, fraud_rate=0.3, holdout_pattern="comment_ring"),
}


def flask(args: list[str], env: dict) -> str:
    """One documented command as a subprocess; its output, or exit with it on failure."""
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    print(f"   flask {' '.join(args[:2])}: exit {run.returncode} in {time.perf_counter() - started:.0f} s", flush=True)
    if run.returncode not in (0,) and not (args[0] == "import" and run.returncode == 1):
        print(run.stdout[-3000:], run.stderr[-3000:], sep="\n")
        raise SystemExit(f"flask {' '.join(args)} failed")
    return run.stdout


def run_world(name: str, options: SimulationOptions, workdir: Path) -> dict:
    world = workdir / f"world-{name}-s{options.seed}"
    if not (world / "labels.jsonl").exists():
        generate_world(world, options)
    scratch = workdir / f"run-{name}"
    scratch.mkdir(parents=True, exist_ok=True)
    for stale in ("db.sqlite", "scores.csv"):
        (scratch / stale).unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{scratch / 'db.sqlite'}", "MODEL_DIR": str(scratch / "models"),
           "INSTANCE_DIR": str(scratch), "WORKBENCH_ENV": "development"}
    env.pop("REDIS_URL", None)
    began = time.perf_counter()
    flask(["db", "upgrade"], env)
    flask(["import", str(world)], env)
    trained = flask(["ml", "train"], env)
    flask(["score", "--all"], env)
    flask(["export-scores", str(scratch / "scores.csv")], env)
    return {"name": name, "options": options, "seconds": time.perf_counter() - began,
            "train": [line for line in trained.splitlines() if "operating point" in line or line.startswith("  ")],
            **measure(world, scratch / "scores.csv", options.holdout_pattern)}


def measure(world: Path, scores_csv: Path, holdout: str | None) -> dict:
    truth = pd.read_json(world / "labels.jsonl", lines=True).set_index("proof_id")
    proofs = pd.read_json(world / "proofs.jsonl", lines=True, dtype=False)[["id", "submitted_at"]]
    submitted = pd.to_datetime(proofs.set_index("id")["submitted_at"], utc=True, format="ISO8601")
    decided = pd.read_json(world / "decisions.jsonl", lines=True)["proof_id"]
    later = submitted.index[(submitted > submitted.loc[decided].max()).to_numpy()]
    scores = pd.read_csv(scores_csv, dtype={"proof_id": str}).set_index("proof_id").loc[later]
    truth = truth.loc[later]
    person = scores["route"].isin(PERSON).to_numpy()
    fraud = truth["is_fraud"].to_numpy(dtype=bool)
    quality = metrics(fraud.astype(int), scores["risk_score"].fillna(0).to_numpy())
    groups = {f"fraud: {p}": (truth["pattern"] == p).to_numpy() for p in sorted(set(truth["pattern"]) - {"honest"})}
    groups.update({f"honest: {k}": ((truth["kind"] == k) & ~fraud).to_numpy()
                   for k in sorted(set(truth.loc[~fraud, "kind"]))})
    held = (truth["pattern"] == holdout).to_numpy() if holdout else None
    return {
        "rows": len(later), "fraud": int(fraud.sum()),
        "headline": {"honest routed": float(person[~fraud].mean()), "fraud routed": float(person[fraud].mean()),
                     "held-out routed": float(person[held].mean()) if held is not None and held.any() else None,
                     "PR-AUC": quality["pr_auc"], "recall@1%FPR": quality["recall_at_fpr"]},
        "groups": {g: (int(mask.sum()), float(person[mask].mean())) for g, mask in groups.items() if mask.any()},
        "routes": scores["route"].value_counts().to_dict(),
    }


def verdict(key: str, value: float | None) -> str:
    if key not in BARS or value is None:
        return ""
    op, bar = BARS[key]
    return "ok" if (value <= bar if op == "<=" else value >= bar) else f"MISSES {op} {bar:g}"


def print_world(r: dict) -> None:
    o = r["options"]
    print(f"\n== world {r['name']}: {o.proofs} proofs, {o.workers} workers, {o.campaigns} campaigns, fraud rate "
          f"{o.fraud_rate:g}, seed {o.seed}, held out of the labels: {o.holdout_pattern} ({r['seconds']:.0f} s)")
    for line in r["train"]:
        print(f"   ml train: {line.strip()}")
    print(f"   later, unlabelled period: {r['rows']} proofs, {r['fraud']} fraud; routes {r['routes']}")
    print("   | measure | value | bar |\n   | --- | --- | --- |")
    for key, value in r["headline"].items():
        shown = "-" if value is None else (f"{100 * value:.1f}%" if "routed" in key else f"{value:.3f}")
        print(f"   | {key} | {shown} | {verdict(key, value)} |")
    print("   | group (later period) | proofs | routed to a person |\n   | --- | --- | --- |")
    for group, (count, share) in r["groups"].items():
        print(f"   | {group} | {count} | {100 * share:.1f}% |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--worlds", default=",".join(WORLDS), help=f"comma separated, of {', '.join(WORLDS)}")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wb-bench-quality"))
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    print(f"machine: {machine()}")
    results = []
    for name in args.worlds.split(","):
        result = run_world(name, SimulationOptions(**WORLDS[name]), args.workdir)
        print_world(result)
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps([{k: v for k, v in r.items() if k != "options"} for r in results],
                                        indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()

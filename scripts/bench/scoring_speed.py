"""Scoring speed: a batch of 1,000,000 proofs from frames, and one proof online through the API path.

usage:
  .venv/bin/python scripts/bench/scoring_speed.py batch  [--proofs 1000000]
  .venv/bin/python scripts/bench/scoring_speed.py online [--proofs 1000000] [--requests 300] [--via worker]

batch: the world is simulated and loaded into the engine's frames first (not timed; cached under
--workdir). Timed: context build (ProofFrame), every signal (summed per family), the feature
frame, model prediction, combination and explanations of the proofs routed to a person.
online: see scripts/bench/online_scoring.py (PostgreSQL with the same world stored).
"""
from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import joblib
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ml.config import BoosterParams, TrainingConfig  # noqa: E402
from ml.explain import explain  # noqa: E402
from ml.features import feature_frame  # noqa: E402
from ml.novelty import novel_mask  # noqa: E402
from ml.predict import predict_proba  # noqa: E402
from ml.train import LabelledSet, train  # noqa: E402
from ml.weights import learned_reading  # noqa: E402
from review_rules import frame as frame_module  # noqa: E402
from review_rules import registry  # noqa: E402
from review_rules.combine import combine  # noqa: E402
from review_rules.context import ScoringContext  # noqa: E402
from review_rules.engine import default_config, evaluate  # noqa: E402
from scripts.bench.common import machine  # noqa: E402
from scripts.bench.world_frames import WorldFrames, load_world  # noqa: E402
from scripts.simulate import SimulationOptions, generate_world  # noqa: E402

MODEL_FILE = "bench-model-v2.joblib"  # v2: with coverage, operating point and learned weights


class Stopwatch:
    def __init__(self) -> None:
        self.parts: dict[str, float] = defaultdict(float)

    def timed(self, name: str, fn):  # noqa: ANN001, ANN201
        def run(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.parts[name] += time.perf_counter() - started
        return run


def instrument(watch: Stopwatch) -> None:
    """Time every signal's compute and the ProofFrame constructor without touching the engine."""
    specs = registry.all_signals()
    for spec in specs:
        registry._REGISTRY[spec.code] = dataclasses.replace(  # noqa: SLF001 - benchmark-only wrapping
            spec, compute=watch.timed(f"signal {spec.code}", spec.compute))
    original = frame_module.ProofFrame.__init__
    frame_module.ProofFrame.__init__ = watch.timed("context build (ProofFrame)", original)


def world_frames(workdir: Path, proofs: int) -> WorldFrames:
    directory = workdir / f"speed-w{proofs}"
    if not (directory / "labels.jsonl").exists():
        print(f"simulating {proofs} proofs into {directory} …", flush=True)
        generate_world(directory, SimulationOptions(proofs=proofs, workers=max(1500, proofs // 8),
                                                    campaigns=max(40, proofs // 700), seed=5))
    started = time.perf_counter()
    frames = load_world(directory)
    print(f"frames loaded in {time.perf_counter() - started:.0f} s (not timed below)", flush=True)
    return frames


def quick_model(frames: WorldFrames, config: dict, rows: int = 60_000):  # noqa: ANN201
    """A model trained on a slice of the labelled history (only its prediction cost matters here)."""
    decided = frames.decisions.sort_values("decided_at").tail(rows)
    proofs = frames.proofs[frames.proofs["proof_id"].isin(decided["proof_id"])]
    context = ScoringContext(proofs.assign(is_target=True), frames.sessions, frames.decisions,
                             proofs["submitted_at"].max())
    output = evaluate(context, config)
    features = feature_frame(output)
    labels = (decided.set_index("proof_id")["decision"] == "rejected").astype(int).reindex(features.index)
    submitted = proofs.set_index("proof_id")["submitted_at"].reindex(features.index)
    training = TrainingConfig(booster=BoosterParams())
    signals = tuple(output.scores.columns)
    return train(LabelledSet(features, labels, submitted, signals, output.rule_score, output.hard_hold), training,
                 rule_config=config).bundle


def model_for(args: argparse.Namespace):  # noqa: ANN201
    """The bench model, trained once in a child process so this process's caches stay cold."""
    path = args.workdir / f"speed-w{args.proofs}" / MODEL_FILE
    if not path.exists():
        subprocess.run([sys.executable, __file__, "train-model", "--proofs", str(args.proofs),
                        "--workdir", str(args.workdir)], check=True)
    return joblib.load(path)


def train_model(args: argparse.Namespace) -> None:
    frames = world_frames(args.workdir, args.proofs)
    bundle = quick_model(frames, default_config())
    joblib.dump(bundle, args.workdir / f"speed-w{args.proofs}" / MODEL_FILE)


def batch(args: argparse.Namespace) -> None:
    config = default_config()
    bundle = model_for(args)
    frames = world_frames(args.workdir, args.proofs)
    watch = Stopwatch()
    instrument(watch)
    proofs = frames.proofs.assign(is_target=True)
    context = ScoringContext(proofs, frames.sessions, frames.decisions, proofs["submitted_at"].max())
    began = time.perf_counter()
    output = watch.timed("rules engine (total)", evaluate)(context, config)
    features = watch.timed("feature frame", feature_frame)(output)
    model = watch.timed("model predict", predict_proba)(bundle, features)
    operating = bundle.meta.get("operating_point")
    reading = watch.timed("novelty (signal coverage)", learned_reading)(output.scores,
                                                                        bundle.meta.get("learned_weights"))
    novel = watch.timed("novelty (signal coverage)", novel_mask)(
        bundle.coverage, output.scores, reading, (operating or {}).get("novelty"))
    combined = watch.timed("combine + route", combine)(output, model, config, operating=operating, novel=novel,
                                                       novel_reading=reading)
    read = combined.index[(combined["route"] != "auto_approve").to_numpy()]
    watch.timed("explanations (review/hold only)", explain)(bundle, features.loc[read], 5, 12)
    total = time.perf_counter() - began
    report_batch(watch.parts, total, len(proofs), len(read), combined)


def report_batch(parts: dict[str, float], total: float, rows: int, explained: int, combined: pd.DataFrame) -> None:
    print(f"\nmachine: {machine()}")
    print(f"batch: {rows} proofs scored in {total:.1f} s ({rows / total:,.0f} proofs/s); "
          f"{explained} explained; routes {combined['route'].value_counts().to_dict()}")
    families: dict[str, float] = defaultdict(float)
    for name, seconds in parts.items():
        if name.startswith("signal "):
            families[name.split()[1].split(".")[0]] += seconds
    print(f"{'part':<40} {'seconds':>8} {'share':>7}")
    for name in ("context build (ProofFrame)", "rules engine (total)"):
        print(f"{name:<40} {parts[name]:>8.1f} {100 * parts[name] / total:>6.1f}%")
    other = parts["rules engine (total)"] - parts["context build (ProofFrame)"] - sum(families.values())
    print(f"{'  engine: reasons text, assembly':<40} {other:>8.1f} {100 * other / total:>6.1f}%")
    for family, seconds in sorted(families.items(), key=lambda kv: -kv[1]):
        print(f"{'  signals: ' + family:<40} {seconds:>8.1f} {100 * seconds / total:>6.1f}%")
    for name in ("feature frame", "model predict", "novelty (signal coverage)", "combine + route",
                 "explanations (review/hold only)"):
        print(f"{name:<40} {parts.get(name, 0.0):>8.1f} {100 * parts.get(name, 0.0) / total:>6.1f}%")
    slowest = sorted(((s, n) for n, s in parts.items() if n.startswith("signal ")), reverse=True)[:8]
    print("slowest signals: " + ", ".join(f"{n[7:]} {s:.1f} s" for s, n in slowest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("mode", choices=("batch", "online", "train-model"))
    parser.add_argument("--proofs", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wb-bench-speed"))
    parser.add_argument("--keep-db", action="store_true", help="online: keep the scratch database afterwards")
    parser.add_argument("--reuse-db", action="store_true", help="online: use the kept database, skip the import")
    parser.add_argument("--sample", choices=("copies", "newest"), default="copies",
                        help="online: copies of random stored proofs at their original moments, or the "
                             "world's newest proofs POSTed in time order (see online_scoring.py)")
    parser.add_argument("--via", choices=("inprocess", "worker"), default="inprocess",
                        help="online: score in the request (no Redis), or queue the job for a real "
                             "`flask worker scoring --no-fork` and time until it has scored the proof")
    args = parser.parse_args()
    if args.mode == "batch":
        batch(args)
    elif args.mode == "train-model":
        train_model(args)
    else:
        from scripts.bench.online_scoring import online

        online(args)


if __name__ == "__main__":
    main()

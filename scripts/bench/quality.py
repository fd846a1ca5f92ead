"""Detection quality on simulated worlds, evaluated only on a period later than the labels.

usage: .venv/bin/python scripts/bench/quality.py [--proofs 80000] [--holdout lockstep] [--chunk-hours 24]

For each world: simulate it (scripts/simulate), turn it into the engine's frames with the app's
own parsers and evidence mapping (scripts/bench/world_frames.py; no database, see docs/ml.md),
compute the rules point in time (ml/history.py, as training does), train with ml.train on the
decisions of the labelled (older) period exactly as `flask ml train` does, then score the later
period and compare with the simulator's ground truth (labels.jsonl):
- PR-AUC and recall at 1% false-positive rate of the risk score (targets 0.95 and 0.90);
- how often honest CGNAT and VPN users are flagged (route review or hold; target <= 3%);
- with one pattern kept out of the labels entirely: the share of it still routed to review/hold.
"""
from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from ml.config import TrainingConfig  # noqa: E402
from ml.evaluate import metrics  # noqa: E402
from ml.features import feature_frame, unseen_signals  # noqa: E402
from ml.history import point_in_time, subset  # noqa: E402
from ml.predict import predict_proba  # noqa: E402
from ml.train import LabelledSet, train  # noqa: E402
from review_rules.combine import combine  # noqa: E402
from review_rules.context import ScoringContext  # noqa: E402
from review_rules.engine import RuleOutput, default_config  # noqa: E402
from scripts.bench.common import machine  # noqa: E402
from scripts.bench.world_frames import WorldFrames, load_world  # noqa: E402
from scripts.simulate import SimulationOptions, generate_world  # noqa: E402

FLAGGED = ("review", "hold")


@dataclass
class WorldResult:
    name: str
    later_rows: int
    later_fraud: int
    scores: dict[str, dict]  # rules / model / combined -> metrics
    flag_rates: dict[str, tuple[float, float]]  # kind or pattern -> share routed review/hold (combined, rules)
    holdout: dict[str, float] | None
    validation: dict
    seconds: float
    unseen: list[str]


def ensure_world(workdir: Path, options: SimulationOptions) -> Path:
    name = f"w{options.proofs}-s{options.seed}-h{options.holdout_pattern or 'none'}"
    directory = workdir / name
    if not (directory / "labels.jsonl").exists():
        generate_world(directory, options)
    return directory


def rules_point_in_time(frames: WorldFrames, rule_config: dict, chunk_hours: float) -> RuleOutput:
    """Every proof scored by the rules with only the history before it (ml.history, as training does)."""
    proofs = frames.proofs.assign(is_target=True)
    context = ScoringContext(proofs, frames.sessions, frames.decisions, proofs["submitted_at"].max())
    started = time.perf_counter()
    output = point_in_time(context, rule_config, chunk_hours)
    print(f"point-in-time rules in {chunk_hours:g} h chunks: {time.perf_counter() - started:.0f} s", flush=True)
    return output


def later_period(frames: WorldFrames) -> pd.Index:
    """Proofs submitted after the newest labelled proof: nothing of them was in training."""
    submitted = frames.proofs.set_index("proof_id")["submitted_at"]
    cutoff = submitted.loc[frames.decisions["proof_id"]].max()
    return submitted.index[(submitted > cutoff).to_numpy()]


def train_on_decisions(frames: WorldFrames, features: pd.DataFrame, config: TrainingConfig,  # noqa: ANN201
                       signals: tuple[str, ...] = ()):
    decisions = frames.decisions.set_index("proof_id")
    labels = (decisions["decision"] == "rejected").astype(int)
    submitted = frames.proofs.set_index("proof_id")["submitted_at"].loc[labels.index]
    return train(LabelledSet(features.loc[labels.index], labels, submitted, signals), config)


def flag_rates(routes: pd.Series, truth: pd.DataFrame) -> dict[str, float]:
    """Share of each group routed to review or hold."""
    flagged = routes.isin(FLAGGED).to_numpy()
    groups = {kind: (truth["kind"] == kind).to_numpy() for kind in ("honest_cgnat", "honest_vpn")}
    groups["honest (all)"] = ~truth["is_fraud"].to_numpy(dtype=bool)
    groups["fraud (all)"] = truth["is_fraud"].to_numpy(dtype=bool)
    groups.update({p: (truth["pattern"] == p).to_numpy() for p in sorted(set(truth["pattern"]) - {"honest"})})
    return {name: float(flagged[mask].mean()) if mask.any() else float("nan") for name, mask in groups.items()}


def score_world(name: str, frames: WorldFrames, holdout: str | None, rule_config: dict,
                chunk_hours: float, training: TrainingConfig) -> WorldResult:
    began = time.perf_counter()
    output = rules_point_in_time(frames, rule_config, chunk_hours)
    features = feature_frame(output)
    result = train_on_decisions(frames, features, training, tuple(output.scores.columns))
    later = later_period(frames)
    truth = frames.labels.set_index("proof_id").loc[later]
    y = truth["is_fraud"].astype(int).to_numpy()
    later_output: RuleOutput = subset(output, later)
    model = predict_proba(result.bundle, features.loc[later])
    unseen = unseen_signals(result.bundle.meta, list(output.scores.columns))
    combined = combine(later_output, model, rule_config, unseen=unseen)
    rules_only = combine(later_output, None, rule_config)
    scores = {"rules only": metrics(y, later_output.rule_score.to_numpy()),
              "model only": metrics(y, model.to_numpy()),
              "combined risk": metrics(y, combined["risk_score"].to_numpy())}
    held = None
    if holdout:
        mask = (truth["pattern"] == holdout).to_numpy()
        held = {"rows": int(mask.sum()),
                "combined": float(combined["route"][mask].isin(FLAGGED).mean()),
                "rules only": float(rules_only["route"][mask].isin(FLAGGED).mean()),
                "model p>0.5": float((model[mask] > 0.5).mean())}
    with_model, alone = flag_rates(combined["route"], truth), flag_rates(rules_only["route"], truth)
    rates = {name: (with_model[name], alone[name]) for name in with_model}
    return WorldResult(name, len(later), int(y.sum()), scores, rates, held, result.metrics,
                       time.perf_counter() - began, unseen)


def print_result(r: WorldResult) -> None:
    print(f"\n== {r.name}: later period {r.later_rows} proofs ({r.later_fraud} fraud), {r.seconds:.0f} s")
    print(f"   model validation window (decisions, 3% label noise): PR-AUC {r.validation['pr_auc']:.4f}, "
          f"recall@1%FPR {r.validation['recall_at_fpr']:.4f}, ECE {r.validation['ece']:.4f}")
    print(f"   signals too rare in the labels for the model (rules floor): {', '.join(r.unseen) or 'none'}")
    print(f"   {'score':<14} {'PR-AUC':>8} {'ROC-AUC':>8} {'rec@1%FPR':>10} {'ECE':>7} {'Brier':>7}")
    for name, m in r.scores.items():
        print(f"   {name:<14} {m['pr_auc']:>8.4f} {m['roc_auc']:>8.4f} {m['recall_at_fpr']:>10.4f} "
              f"{m['ece']:>7.4f} {m['brier']:>7.4f}")
    print(f"   routed to review/hold:  {'rules+model':>12} {'rules alone':>12}")
    for kind, (rate, alone) in r.flag_rates.items():
        print(f"     {kind:<20} {100 * rate:>11.2f}% {100 * alone:>11.2f}%")
    if r.holdout:
        h = r.holdout
        print(f"   held-out pattern ({h['rows']} proofs in the later period): review/hold {100 * h['combined']:.1f}% "
              f"combined, {100 * h['rules only']:.1f}% rules alone; model p>0.5 on {100 * h['model p>0.5']:.1f}%")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--proofs", type=int, default=80_000)
    parser.add_argument("--workers", type=int, default=10_000)
    parser.add_argument("--campaigns", type=int, default=120)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--holdout", default="lockstep", help="pattern(s) to hold out, comma separated; "
                        "'none' skips the generalisation world")
    parser.add_argument("--chunk-hours", type=float, default=24.0)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/wb-bench-quality"))
    args = parser.parse_args()
    print(f"machine: {machine()}")
    rule_config = default_config()
    worlds = [("full labels", None)] + [(f"holdout {p}", p) for p in args.holdout.split(",") if p != "none"]
    for name, holdout in worlds:
        options = SimulationOptions(proofs=args.proofs, workers=args.workers, campaigns=args.campaigns,
                                    seed=args.seed, holdout_pattern=holdout)
        frames = load_world(ensure_world(args.workdir, options))
        print_result(score_world(name, frames, holdout, rule_config, args.chunk_hours, TrainingConfig()))


if __name__ == "__main__":
    main()

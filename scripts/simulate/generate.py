"""generate_world: plan the counts, run the honest and fraud generators, write the directory."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from . import fraud_content, fraud_device, fraud_network, fraud_stealth  # noqa: F401  (register the patterns)
from .batch import ProofBatch
from .context import DAY, HOUR, World, py_random, stream
from .entities import build_static_world, finalize_campaigns
from .honest import HonestPopulation
from .options import SimulationOptions
from .rings import REGISTRY, FraudJob, share_split
from .writer import write_jsonl, write_proofs

# Default share of fraudulent proofs per pattern (renormalised over the selected patterns).
PATTERN_MIX = {"device_farm": 0.18, "scripted_bot": 0.15, "proxy_ring": 0.14, "screenshot_reuse": 0.13,
               "comment_ring": 0.13, "brand_collusion": 0.12, "lockstep": 0.15, "dormant_wake": 0.1,
               "carrier_bot": 0.08}
MIN_ACCOUNTS = {"device_farm": 8, "scripted_bot": 4, "proxy_ring": 5, "screenshot_reuse": 5,
                "comment_ring": 10, "brand_collusion": 10, "lockstep": 8, "dormant_wake": 12, "carrier_bot": 4}
MAX_FRAUD_ACCOUNT_SHARE = 0.4
WRONG_REJECTIONS = ("suspicious_ip", "low_quality_proof", "duplicate_comment", "fraud_device_farm", "bot")

Progress = Callable[[int, int], None]


def generate_world(out_dir: Path, options: SimulationOptions, progress: Progress | None = None) -> dict:
    """Write a synthetic world directory and return counts per file and per pattern."""
    options.validate()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # Progress counts proofs: the first half while generating them, the second while writing.
    total = options.proofs
    tick = progress or (lambda done, total: None)
    tick(0, total)
    world = World(options)
    build_static_world(world)
    fraud_proofs, fraud_accounts = plan(options)
    honest_weights, fraud_weights = campaign_weights(world, fraud_proofs.get("brand_collusion", 0),
                                                     options.proofs - sum(fraud_proofs.values()))
    population = HonestPopulation(world, options.workers - sum(fraud_accounts.values()))
    batches = [population.proofs(options.proofs - sum(fraud_proofs.values()), honest_weights)]
    done = len(batches[0])
    tick(done // 2, total)
    for name, n in fraud_proofs.items():
        rng = stream(options.seed, name)
        job = FraudJob(world, name, n, fraud_accounts[name], rng, py_random(rng), fraud_weights)
        batches.append(REGISTRY[name].build(job))
        done += n
        tick(done // 2, total)
    batch = ProofBatch.concat(batches)
    batch = batch.take(np.lexsort((batch.accepted, batch.submitted)))
    return write_world(out_dir, world, batch, lambda i: tick(total // 2 + (total - total // 2) * i // total, total))


def plan(options: SimulationOptions) -> tuple[dict[str, int], dict[str, int]]:
    """Fraudulent proofs and accounts per selected pattern."""
    patterns = [p for p in options.active_patterns]
    if not patterns:
        return {}, {}
    n_fraud = int(round(options.proofs * options.fraud_rate))
    mix = np.array([PATTERN_MIX[p] for p in patterns])
    proofs = share_split(stream(options.seed, "plan"), n_fraud, mix)
    accounts = np.array([min(max(MIN_ACCOUNTS[p], round(n / REGISTRY[p].proofs_per_account)), max(n, 1))
                         for p, n in zip(patterns, proofs.tolist(), strict=True)], dtype=float)
    cap = MAX_FRAUD_ACCOUNT_SHARE * options.workers
    if accounts.sum() > cap:
        accounts = np.maximum(1, np.floor(accounts * cap / accounts.sum()))
    keep = [i for i, n in enumerate(proofs.tolist()) if n > 0]
    return ({patterns[i]: int(proofs[i]) for i in keep}, {patterns[i]: int(accounts[i]) for i in keep})


def campaign_weights(world: World, collusion_proofs: int, honest_proofs: int) -> tuple[np.ndarray, np.ndarray]:
    """Where honest workers and (non-colluding) rings take tasks.

    Popularity times days live in the period. The colluding brands' campaigns get few honest
    completions, so that their ring does most of their work.
    """
    lo, hi = world.active_window(np.arange(len(world.campaigns)))
    base = world.camp["weight"] * np.maximum(hi - lo, HOUR) / DAY
    colluding = np.isin(world.camp["brand"], world.collusion_brands)
    reward = np.array([c["reward_cents"] for c in world.campaigns], dtype=float)
    reward /= np.median(reward)
    honest = base * reward**0.3  # everybody likes better-paid tasks; rings more so
    if collusion_proofs and colluding.any() and (~colluding).any():
        allowed = 0.3 * collusion_proofs / max(honest_proofs, 1) * honest[~colluding].sum()
        honest[colluding] = np.minimum(honest[colluding], allowed * base[colluding] / base[colluding].sum())
    fraud = base * reward**0.7
    if (~colluding).any():
        fraud = np.where(colluding, 0.0, fraud)
    return honest, fraud


def write_world(out_dir: Path, world: World, batch: ProofBatch, progress: Callable[[int], None]) -> dict:
    """Write every file of the world directory and return the report."""
    opts = world.options
    n = len(batch)
    width = max(7, len(str(n)))
    proof_ids = [f"p{i + 1:0{width}d}" for i in range(n)]
    worker_ids, worker_rows = _workers(world)
    files = {
        "brands.jsonl": write_jsonl(out_dir / "brands.jsonl", _brands(world)),
        "rooms.jsonl": write_jsonl(out_dir / "rooms.jsonl", world.rooms),
        "sessions.jsonl": write_jsonl(out_dir / "sessions.jsonl", _sessions(world)),
        "campaigns.jsonl": write_jsonl(out_dir / "campaigns.jsonl", finalize_campaigns(
            world, np.bincount(batch.campaign, minlength=len(world.campaigns)))),
        "workers.jsonl": write_jsonl(out_dir / "workers.jsonl", worker_rows),
        "proofs.jsonl": write_proofs(out_dir / "proofs.jsonl", world, batch, proof_ids, worker_ids, progress),
    }
    decisions, flipped = _decisions(world, batch, proof_ids)
    files["decisions.jsonl"] = write_jsonl(out_dir / "decisions.jsonl", decisions)
    files["labels.jsonl"] = write_jsonl(out_dir / "labels.jsonl", (
        {"proof_id": pid, "is_fraud": p != "honest", "pattern": p, "kind": k, "ring": g}
        for pid, p, k, g in zip(proof_ids, batch.pattern, batch.kind, batch.ring, strict=True)))
    fraud = sum(1 for p in batch.pattern if p != "honest")
    return {"out_dir": str(out_dir), "files": files, "proofs": n, "fraud_proofs": fraud,
            "fraud_rate": round(fraud / n, 4) if n else 0.0,
            "patterns": dict(sorted(Counter(batch.pattern).items())),
            "kinds": dict(sorted(Counter(batch.kind).items())),
            "decisions": files["decisions.jsonl"], "decisions_flipped": flipped,
            "labelled_until": world.iso(np.array([_cutoff(world)]))[0],
            "holdout_pattern": opts.holdout_pattern}


def _brands(world: World) -> list[dict]:
    created = world.iso(np.array([b["created_at"] for b in world.brands]))
    return [dict(b, created_at=t) for b, t in zip(world.brands, created, strict=True)]


def _sessions(world: World) -> list[dict]:
    s = world.sessions
    starts, ends = world.iso(s["start"]), world.iso(s["end"])
    return [{"id": f"s{i + 1:06d}", "room_id": world.rooms[room]["id"], "starts_at": starts[i],
             "ends_at": ends[i]} for i, room in enumerate(s["room"].tolist())]


def _workers(world: World) -> tuple[list[str], list[dict]]:
    """Worker ids follow registration order, as a database sequence would hand them out."""
    w = world.workers
    created = np.array(w.created, dtype=np.int64)
    order = np.argsort(created, kind="stable")
    width = max(6, len(str(len(order))))
    ids = [""] * len(order)
    for rank, i in enumerate(order.tolist()):
        ids[i] = f"w{rank + 1:0{width}d}"
    when = world.iso(created)
    rows = [{"id": ids[i], "created_at": when[i], "region": w.region[i], "timezone": w.timezone[i],
             "language": w.language[i], "phone": w.phone[i]} for i in order.tolist()]
    return ids, rows


def _cutoff(world: World) -> int:
    return int(world.period * world.options.labelled_share)


def _decisions(world: World, batch: ProofBatch, proof_ids: list[str]) -> tuple[list[dict], int]:
    """Past review outcomes for the oldest share of the period; a few are wrong."""
    opts = world.options
    rng = stream(opts.seed, "decisions")
    r = py_random(rng)
    labelled = np.flatnonzero((batch.submitted < _cutoff(world))
                              & np.array([p != opts.holdout_pattern for p in batch.pattern], dtype=bool))
    n_wrong = int(round(len(labelled) * opts.label_noise))
    wrong = np.zeros(len(labelled), dtype=bool)
    wrong[rng.choice(len(labelled), size=n_wrong, replace=False)] = True
    delay = np.clip(rng.lognormal(np.log(2 * HOUR), 1.0, len(labelled)), 180, 3 * DAY).astype(np.int64)
    decided = world.iso(batch.submitted[labelled] + delay)
    rows = []
    for k, i in enumerate(labelled.tolist()):
        pattern = batch.pattern[i]
        fraud = pattern != "honest"
        if wrong[k]:
            fraud = not fraud
            reason = r.choice(WRONG_REJECTIONS) if fraud else "ok"
        else:
            reason = REGISTRY[pattern].reason if fraud else "ok"
        rows.append({"proof_id": proof_ids[i], "decision": "rejected" if fraud else "approved",
                     "reason": reason, "decided_at": decided[k]})
    return rows, n_wrong

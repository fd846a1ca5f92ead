"""Each signal's weight earned on the labelled history, with its catalogue weight as the prior.

For a signal, the weight is the chance that a proof it fired on (score >= FIRE_AT) was rejected,
over the labelled training proofs, shrunk towards the prior by `strength` pseudo-proofs:

    weight = (rejected_when_fired + strength * prior) / (fired + strength)

so a signal that fires often on approved proofs (a carrier address, a campus) loses weight, one
that fires mostly on rejected proofs gains it, and one the labels rarely show (a new signal, a
fraud pattern nobody has labelled yet) keeps its prior. Hard evidence (a hard rule, automation
flags, watch time beyond the time elapsed) never drops below its prior: it stays hard whatever
the labels say about its company.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ml.novelty import FIRE_AT
from review_rules.registry import all_signals

HARD_EVIDENCE = ("device.automation", "timing.impossible_watch", "content.screenshot_reuse")
STRENGTH = 40.0
BOUNDS = (0.01, 0.99)


def learn_weights(scores: pd.DataFrame, labels: pd.Series, rule_config: dict, submitted_at: pd.Series | None = None,
                  strength: float = STRENGTH) -> dict:
    """{"window": ..., "strength": ..., "signals": {code: {prior, weight, fired, rejected, hard}}}."""
    hard = set(HARD_EVIDENCE) | set(rule_config.get("hard_hold", {}))
    y = labels.reindex(scores.index).fillna(0).to_numpy(dtype=float)
    catalogue = {spec.code: spec.weight for spec in all_signals()}
    learned = {}
    for code, entry in rule_config["signals"].items():
        # the documented prior, not the active weight: learning twice must not drift from it
        prior = float(catalogue.get(code, entry["weight"]))
        if code not in scores.columns:
            learned[code] = {"prior": prior, "weight": prior, "fired": 0, "rejected": 0, "hard": code in hard}
            continue
        fired = scores[code].to_numpy(dtype=float) >= FIRE_AT
        n, rejected = int(fired.sum()), float(y[fired].sum())
        weight = (rejected + strength * prior) / (n + strength)
        if code in hard:
            weight = max(weight, prior)
        learned[code] = {"prior": prior, "weight": round(min(max(weight, BOUNDS[0]), BOUNDS[1]), 4), "fired": n,
                         "rejected": int(rejected), "hard": code in hard}
    window = {}
    if submitted_at is not None and len(submitted_at):
        times = submitted_at.reindex(scores.index)
        window = {"from": times.min().isoformat(), "to": times.max().isoformat(), "rows": int(len(scores)),
                  "rejected": int(y.sum())}
    return {"window": window, "strength": strength, "fire_at": FIRE_AT, "signals": learned}


def with_learned_weights(rule_config: dict, learned: dict, source: dict | None = None) -> dict:
    """A plain copy of `rule_config` whose signal weights are the learned ones, recording what was
    learned and from which window in its `learned` section."""
    config = {key: _plain(value) for key, value in rule_config.items()}
    for code, entry in learned["signals"].items():
        if code in config["signals"]:
            config["signals"][code]["weight"] = entry["weight"]
    config["learned"] = {**(source or {}), "window": learned["window"], "strength": learned["strength"],
                         "fire_at": learned["fire_at"],
                         "signals": {c: {k: v for k, v in e.items()} for c, e in learned["signals"].items()}}
    return config


def _plain(value):  # noqa: ANN001, ANN202 - a read-only checked config back to plain dicts
    return {k: _plain(v) for k, v in value.items()} if isinstance(value, dict) else value


def learned_reading(scores: pd.DataFrame, learned: dict | None) -> np.ndarray | None:
    """The rules' noisy-OR over `scores` with the learned weights, never above the prior (None
    without any): the reading the novelty floor lets stand. Signals the labels showed mostly on
    approved proofs count little, signals they never showed keep their prior; a signal the labels
    showed mostly on fraud is not raised, since the model itself already knows it."""
    if not learned:
        return None
    weights = learned.get("signals", {})
    codes = [c for c in scores.columns.tolist() if c in weights]
    if not codes:
        return np.zeros(len(scores))
    w = np.array([min(weights[c]["weight"], weights[c]["prior"]) for c in codes], dtype=float)
    values = scores[codes].to_numpy(dtype=float, na_value=0.0)
    return np.clip(1.0 - np.prod(1.0 - values * w, axis=1), 0.0, 1.0)

"""The model's operating point: route thresholds chosen on the validation window, towards a target.

The operator states how many honest proofs a person may see (`honest_share`, default 2 %) and,
optionally, how many proofs the reviewers can read per day. `ml train` then picks, on the newest
labelled window (never seen by the trees nor the calibration):

- `auto_approve_below`: the lowest threshold at which at most `honest_share` of the honest proofs
  goes to a person, counting those the rules force there anyway (a hard rule, or a rules hold
  that the model may soften to review but never approve), except that the model always keeps
  half the target for its own reading (the stated share then exceeds the target, and says so);
  raised further when the proofs routed per day would exceed the review capacity;
- `hold_at_or_above`: the lowest threshold above it where the held proofs are fraud at least
  `hold_precision` of the time (a hold asks a person to reject or clear);
- the novelty floor (ml/novelty.py): the widest setting (minimum support of the fired-signal
  combination, minimum rule score) under which the rules' reading, standing for the proofs the
  labels do not cover, sends at most `novelty_budget` more of the honest proofs to a person.

The honest share routed is therefore at most honest_share + novelty_budget on the validation
window; the share of fraud routed at that point is stated next to it and stored with the model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from review_rules.combine import blend, rescale_rule

THRESHOLD_BOUNDS = (0.005, 0.99)
MODEL_SHARE = 0.5  # of the honest target, always left to the model's own reading
SUPPORT_GRID = (80, 40, 20, 10, 5, 3, 2, 1)  # minimum support of a combination to count as covered
LEVELS = 6  # steps of the minimum reading between the rule set's review and hold thresholds


@dataclass(frozen=True)
class OperatingTarget:
    honest_share: float = 0.02
    novelty_budget: float = 0.005
    hold_precision: float = 0.9
    capacity_per_day: float | None = None


@dataclass
class Validation:
    """The validation window as routing sees it, one entry per labelled proof."""

    labels: np.ndarray  # 1 = fraud
    model: np.ndarray  # calibrated P(fraud)
    rule: np.ndarray  # rule score
    hard: np.ndarray  # a hard rule fired
    support: np.ndarray  # training proofs with the same fired-signal combination
    days: float  # span of the window
    reading: np.ndarray | None = None  # what the novelty floor lets stand (default: the rule score)


def choose(window: Validation, rule_config: dict, target: OperatingTarget) -> dict:
    """The operating point (thresholds, novelty floor) and what it does on the validation window."""
    y = window.labels.astype(int)
    honest = y == 0
    rules = rule_config["thresholds"]
    risk = blend(window.rule.astype(float), window.model.astype(float), rule_config["combine"]["model_weight"])
    forced = window.hard.astype(bool) | (window.rule >= rules["hold_at_or_above"])
    budget = int(np.floor(target.honest_share * honest.sum()))
    # The model keeps at least MODEL_SHARE of the target for its own reading: a rules hold on an
    # "approved" proof is as often a label error as a rules mistake, and a target the rules already
    # spent would leave the model a threshold above every honest proof (and most fraud).
    allowed = max(budget - int((forced & honest).sum()), int(np.floor(MODEL_SHARE * budget)))
    low = _threshold_keeping(risk[honest & ~forced], allowed)
    per_day = None
    if target.capacity_per_day:
        allowed_total = int(np.floor(target.capacity_per_day * max(window.days, 1.0))) - int(forced.sum())
        low = max(low, _threshold_keeping(risk[~forced], allowed_total))
    low = float(np.clip(low, *THRESHOLD_BOUNDS))
    high = _hold_threshold(risk, y, low, target.hold_precision, rules["hold_at_or_above"])
    thresholds = {"auto_approve_below": low, "hold_at_or_above": high}
    person = forced | (risk >= low)
    novelty = _novelty(window, person, honest, rules, thresholds, target.novelty_budget)
    if novelty["min_support"]:
        reading = _reading(window)
        novel = (window.support < novelty["min_support"]) & (reading >= novelty["min_rule_score"])
        floored = np.maximum(risk, rescale_rule(reading, rules, thresholds))
        risk = np.where(novel, floored, risk)
        person = forced | (risk >= low)
    fraud = ~honest
    if target.capacity_per_day:
        per_day = float(person.sum() / max(window.days, 1.0))
    return {
        **thresholds,
        "source": "validation window",
        "target": {"honest_share": target.honest_share, "novelty_budget": target.novelty_budget,
                   "hold_precision": target.hold_precision, "capacity_per_day": target.capacity_per_day},
        "novelty": novelty,
        "validation": {
            "rows": int(len(y)), "fraud": int(fraud.sum()), "days": round(float(window.days), 2),
            "honest_routed": _share(person, honest), "fraud_routed": _share(person, fraud),
            "honest_held": _share(person & (risk >= high), honest), "fraud_held": _share(risk >= high, fraud),
            "honest_forced_by_rules": _share(forced, honest), "routed_per_day": per_day,
        },
    }


def _share(mask: np.ndarray, group: np.ndarray) -> float:
    return float(mask[group].mean()) if group.any() else 0.0


def _threshold_keeping(values: np.ndarray, allowed: int) -> float:
    """The lowest threshold t with at most `allowed` of `values` >= t."""
    if len(values) == 0:
        return THRESHOLD_BOUNDS[0]
    ordered = np.sort(values)[::-1]
    if allowed <= 0:
        return float(np.nextafter(ordered[0], np.inf))
    if allowed >= len(ordered):
        return THRESHOLD_BOUNDS[0]
    return float(np.nextafter(ordered[allowed], np.inf))


def _hold_threshold(risk: np.ndarray, y: np.ndarray, low: float, precision: float, fallback: float) -> float:
    """The lowest risk above `low` at which the proofs at or above it are fraud `precision` of the time."""
    order = np.argsort(-risk, kind="stable")
    ranked, fraud = risk[order], np.cumsum(y[order])
    good = (fraud / np.arange(1, len(y) + 1) >= precision) & (ranked > low)
    if good.any():
        chosen = float(ranked[np.flatnonzero(good).max()])
    else:
        chosen = max(fallback, low)
    chosen = float(np.clip(chosen, low, THRESHOLD_BOUNDS[1]))
    return chosen if chosen > low else float(min(1.0, np.nextafter(low, np.inf) + 1e-6))


def _novelty(window: Validation, person: np.ndarray, honest: np.ndarray, rules: dict, thresholds: dict,
             budget: float) -> dict:
    """The widest novelty floor whose extra honest routing stays within `budget` of the honest proofs."""
    allowed = int(np.floor(budget * honest.sum()))
    low, high = rules["auto_approve_below"], rules["hold_at_or_above"]
    levels = [low + (high - low) * k / LEVELS for k in range(LEVELS + 1)]
    best = {"min_support": 0, "min_rule_score": None, "reach": 0}
    reading = _reading(window)
    would_route = reading >= rules["auto_approve_below"]  # the rules' reading: a person looks
    for support in SUPPORT_GRID:
        for level in levels:
            extra = (window.support < support) & (reading >= level) & would_route & ~person
            if int((extra & honest).sum()) > allowed:
                continue
            reach = int(extra.sum())
            if reach > best["reach"] or (best["min_support"] == 0):
                best = {"min_support": support, "min_rule_score": float(level), "reach": reach}
            break  # a higher level only narrows the floor at this support
    extra_mask = np.zeros(len(honest), dtype=bool)
    if best["min_support"]:
        extra_mask = ((window.support < best["min_support"]) & (reading >= best["min_rule_score"])
                      & would_route & ~person)
    return {"budget": budget, "min_support": best["min_support"], "min_rule_score": best["min_rule_score"],
            "novel_share": _share(window.support < max(best["min_support"], 1), np.ones(len(honest), bool)),
            "honest_added": _share(extra_mask, honest), "fraud_added": _share(extra_mask, ~honest)}


def _reading(window: Validation) -> np.ndarray:
    return window.rule.astype(float) if window.reading is None else window.reading.astype(float)


def cold_start(rule_config: dict) -> dict:
    """What routes without a model: the rule set's documented thresholds."""
    return {**rule_config["thresholds"], "source": "rule set defaults (cold start: no trained model)"}

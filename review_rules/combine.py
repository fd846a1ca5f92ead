"""From rule output (and, when there is one, a model score) to a risk score and a route.

Rules only (cold start, or no model):   risk = rule_score
With a model score m in [0, 1]:        risk = w * m + (1 - w) * rule_score,  w = combine.model_weight
                                       then two floors, because the model knows only the fraud in its
                                       labels and the rules must still catch the rest:
                                       - when rule_score >= hold_at_or_above, risk >= auto_approve_below
                                         (the model may overrule a rules hold, never auto-approve it);
                                       - risk >= 1 - prod_u (1 - weight_u * score_u) over the signals u
                                         the model never saw fire in its training labels (`unseen`):
                                         where the model has no evidence, the rules' reading stands.

Route: `hold` when a hard rule fired or risk >= hold_at_or_above; `auto_approve` when
risk < auto_approve_below and the score is not degraded; `review` otherwise. A degraded
score (the model was expected but could not answer) never auto-approves.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from review_rules.engine import RuleOutput, validate_config

COMBINED_COLUMNS = ("risk_score", "rule_score", "model_score", "route", "hard_hold", "degraded")


def combine(rule_output: RuleOutput, model_scores: pd.Series | None, config: dict,
            degraded: bool = False, unseen: tuple[str, ...] | list[str] = (),
            operating: dict | None = None, novel: np.ndarray | None = None,
            novel_reading: np.ndarray | None = None) -> pd.DataFrame:
    """One row per proof_id: COMBINED_COLUMNS. `model_scores` None means rules alone.

    `operating`: the model's thresholds ({auto_approve_below, hold_at_or_above}); `novel`: one bool
    per row of `rule_output`, True where the rules' reading must stand; `novel_reading`: that
    reading per row (default: the rule score; the model passes the rules with learned weights)."""
    config = validate_config(config)
    index = rule_output.rule_score.index
    # Plain arrays, not Series arithmetic: one proof scored online pays every call's overhead.
    rule = rule_output.rule_score.to_numpy(dtype=float)
    thresholds = config["thresholds"]
    if model_scores is None:
        model = np.full(len(rule), np.nan)
        risk = rule.copy()
    else:
        thresholds = operating_thresholds(operating, config)
        model = _aligned(model_scores, index).to_numpy(dtype=float)
        risk = _with_model(rule, model, _aligned(rule_output.scores, index), config, unseen, thresholds)
        if novel is not None and np.any(novel):
            reading = rule if novel_reading is None else np.asarray(novel_reading, dtype=float)
            floor = rescale_rule(reading, config["thresholds"], thresholds)
            risk = np.where(novel, np.maximum(risk, floor), risk)
    hard = _aligned(rule_output.hard_hold, index).fillna(False).to_numpy(dtype=bool)
    risk = np.clip(risk, 0.0, 1.0)
    return pd.DataFrame({"risk_score": risk, "rule_score": rule, "model_score": model,
                         "route": route(risk, hard, thresholds, degraded),
                         "hard_hold": hard, "degraded": bool(degraded)}, index=index)


def _aligned(values: pd.Series | pd.DataFrame, index: pd.Index) -> pd.Series | pd.DataFrame:
    return values if values.index.equals(index) else values.reindex(index)


def operating_thresholds(operating: dict | None, config: dict) -> dict:
    """The thresholds that route a model-backed score: the model's operating point, when sound."""
    if operating and 0.0 < operating.get("auto_approve_below", 0.0) < operating.get("hold_at_or_above", 0.0) <= 1.0:
        return {"auto_approve_below": float(operating["auto_approve_below"]),
                "hold_at_or_above": float(operating["hold_at_or_above"])}
    return config["thresholds"]


def thresholds_in_force(operating: dict | None, config: dict) -> tuple[dict, str]:
    """(the thresholds that route a model-backed score, "model" or "rules"): operating_thresholds and
    where they came from, for the pages that say so."""
    thresholds = operating_thresholds(operating, config)
    return dict(thresholds), "rules" if thresholds is config["thresholds"] else "model"


def blend(rule: np.ndarray, model: np.ndarray, weight: float) -> np.ndarray:
    """w * model + (1 - w) * rule; a proof the model could not score keeps its rule score."""
    return np.where(np.isnan(model), rule, weight * model + (1.0 - weight) * rule)


def rescale_rule(rule: np.ndarray, rule_thresholds: dict, thresholds: dict) -> np.ndarray:
    """The rule score mapped piecewise-linearly so that the rules' own thresholds land on `thresholds`:
    a proof the rules alone would review (hold) lands at the model's review (hold) level."""
    low, high = rule_thresholds["auto_approve_below"], rule_thresholds["hold_at_or_above"]
    return np.interp(rule, [0.0, low, high, 1.0],
                     [0.0, thresholds["auto_approve_below"], thresholds["hold_at_or_above"], 1.0])


def _with_model(rule: np.ndarray, model: np.ndarray, scores: pd.DataFrame, config: dict,
                unseen: tuple[str, ...] | list[str], thresholds: dict | None = None) -> np.ndarray:
    """The blend and its floors (module docstring)."""
    weight = config["combine"]["model_weight"]
    thresholds = thresholds or config["thresholds"]
    risk = blend(rule, model, weight)
    rules_would_hold = rule >= config["thresholds"]["hold_at_or_above"]
    risk = np.where(rules_would_hold, np.maximum(risk, thresholds["auto_approve_below"]), risk)
    codes = [c for c in unseen if c in scores.columns and config["signals"][c]["enabled"]]
    if codes:
        weights = np.array([config["signals"][c]["weight"] for c in codes], dtype=float)
        keep = np.prod(1.0 - scores[codes].to_numpy(dtype=float) * weights, axis=1)
        risk = np.maximum(risk, 1.0 - keep)
    return risk


def route(risk: np.ndarray, hard_hold: np.ndarray, thresholds: dict, degraded: bool = False) -> np.ndarray:
    """auto_approve / review / hold for every proof."""
    return np.where(hard_hold | (risk >= thresholds["hold_at_or_above"]), "hold",
                    np.where((risk < thresholds["auto_approve_below"]) & (not degraded), "auto_approve",
                             "review")).astype(object)

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
            degraded: bool = False, unseen: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """One row per proof_id: COMBINED_COLUMNS. `model_scores` None means rules alone."""
    config = validate_config(config)
    rule = rule_output.rule_score.astype(float)
    if model_scores is None:
        model = pd.Series(np.nan, index=rule.index, name="model_score")
        risk = rule.copy()
    else:
        model = model_scores.reindex(rule.index).astype(float)
        risk = _with_model(rule, model, rule_output.scores, config, unseen)
    hard = rule_output.hard_hold.reindex(rule.index).fillna(False).astype(bool)
    risk = risk.clip(0.0, 1.0)
    frame = pd.DataFrame({"risk_score": risk, "rule_score": rule, "model_score": model,
                          "route": route(risk, hard, config["thresholds"], degraded),
                          "hard_hold": hard, "degraded": bool(degraded)}, index=rule.index)
    return frame


def _with_model(rule: pd.Series, model: pd.Series, scores: pd.DataFrame, config: dict,
                unseen: tuple[str, ...] | list[str]) -> pd.Series:
    """The blend and its two floors (module docstring)."""
    weight, thresholds = config["combine"]["model_weight"], config["thresholds"]
    # A proof the model could not score keeps its rule score.
    risk = (weight * model + (1.0 - weight) * rule).where(model.notna(), rule)
    rules_would_hold = rule >= thresholds["hold_at_or_above"]
    risk = risk.where(~rules_would_hold, risk.clip(lower=thresholds["auto_approve_below"]))
    codes = [c for c in unseen if c in scores.columns and config["signals"][c]["enabled"]]
    if codes:
        weights = np.array([config["signals"][c]["weight"] for c in codes], dtype=float)
        keep = np.prod(1.0 - scores.reindex(rule.index)[codes].to_numpy(dtype=float) * weights, axis=1)
        risk = np.maximum(risk, pd.Series(1.0 - keep, index=rule.index))
    return risk


def route(risk: pd.Series, hard_hold: pd.Series, thresholds: dict, degraded: bool = False) -> pd.Series:
    """auto_approve / review / hold for every proof."""
    values = np.where(
        hard_hold.to_numpy() | (risk.to_numpy() >= thresholds["hold_at_or_above"]), "hold",
        np.where((risk.to_numpy() < thresholds["auto_approve_below"]) & (not degraded), "auto_approve", "review"))
    return pd.Series(values, index=risk.index, name="route", dtype=object)

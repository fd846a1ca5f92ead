"""The model's part of scoring: fraud probabilities, degraded mode and explanations.

Three outcomes, each explicit in the stored score:
- cold start: no active model; rules alone score (model_version None, degraded False);
- model: the active model's probability is combined with the rules;
- degraded: an active model exists but its artifact fails the hash check, cannot be read, raises
  or exceeds MODEL_TIMEOUT_SECONDS; rules alone score, degraded=True, and the proof never
  auto-approves.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from flask import current_app

from app.scoring.services.models_registry import load_active
from ml.explain import explain, predict_with_shifts
from ml.features import align, feature_frame
from ml.novelty import novel_mask
from ml.predict import ModelTimeout, predict_within, run_within
from ml.registry import ModelBundle
from ml.weights import learned_reading
from review_rules.combine import combine, thresholds_in_force

log = logging.getLogger(__name__)
STACKED_EXPLANATIONS = 64  # up to this many proofs, scores and explanation shifts come from one prediction


@dataclass
class ModelOutcome:
    probabilities: pd.Series | None  # proof_id -> P(fraud); None on cold start or degraded
    version: str | None = None
    degraded: bool = False
    error: str | None = None
    bundle: ModelBundle | None = None
    features: pd.DataFrame | None = None  # the model's inputs, in its own column order
    timeout: float | None = None
    unseen: tuple[str, ...] = ()  # kept for callers of the old floor; novelty (below) replaced it
    operating: dict | None = None  # the model's route thresholds (ml/operating.py)
    novel: np.ndarray | None = None  # per row of the rule output: the rules' reading stands (ml/novelty.py)
    novel_reading: np.ndarray | None = None  # that reading: the rules with the weights learned on the labels
    shifts: np.ndarray | None = None  # explanation shifts per feature row, when predicted with the scores


def combine_as_scoring(rule_output, model: ModelOutcome, config: dict) -> pd.DataFrame:  # noqa: ANN001
    """`combine` given everything live scoring gives it: the model's own operating point and, where a
    proof is novel to the model, the rules' reading. Try, backtest and shadow route through here, so
    a version's routes there are the ones the scorer would store."""
    return combine(rule_output, model.probabilities, config, degraded=model.degraded, unseen=model.unseen,
                   operating=model.operating, novel=model.novel, novel_reading=model.novel_reading)


def routing_thresholds(model: ModelOutcome, config: dict) -> tuple[dict, str]:
    """(the thresholds that route, "model" or "rules"): the model's operating point while it scores,
    else the rule set's own."""
    if model.probabilities is None:
        return dict(config["thresholds"]), "rules"
    return thresholds_in_force(model.operating, config)


def model_outcome(rule_output, model_dir: Path, timeout: float | None) -> ModelOutcome:  # noqa: ANN001
    """Score `rule_output`'s proofs with the active model, or say why the rules score alone."""
    active = load_active(model_dir)
    if active.cold_start:
        return ModelOutcome(probabilities=None)
    if active.bundle is None:
        log.error("model %s unusable, scoring in degraded mode: %s", active.row.version, active.error)
        return ModelOutcome(probabilities=None, degraded=True, error=active.error)
    features = align(feature_frame(rule_output), active.bundle.feature_names)  # once, for scores and explanations
    shifts = None
    try:
        if len(features) <= STACKED_EXPLANATIONS:
            probabilities, shifts = _with_shifts(active.bundle, features, timeout)
        else:
            probabilities = predict_within(active.bundle, features, timeout)
    except Exception as exc:  # noqa: BLE001 - any model failure degrades to the rules, it never loses a proof
        log.error("model %s failed, scoring in degraded mode: %s", active.bundle.version, exc)
        return ModelOutcome(probabilities=None, degraded=True, error=str(exc))
    operating = active.bundle.meta.get("operating_point")
    reading = learned_reading(rule_output.scores, active.bundle.meta.get("learned_weights"))
    if reading is None:
        reading = rule_output.rule_score.to_numpy(dtype=float)
    novel = novel_mask(active.bundle.coverage, rule_output.scores, reading, (operating or {}).get("novelty"))
    return ModelOutcome(probabilities=probabilities, version=active.bundle.version, bundle=active.bundle,
                        features=features, timeout=timeout, shifts=shifts, operating=operating, novel=novel,
                        novel_reading=reading)


def _with_shifts(bundle: ModelBundle, features: pd.DataFrame,
                 timeout: float | None) -> tuple[pd.Series, np.ndarray | None]:
    """Scores with their explanation shifts in one prediction; scores alone if the stacking fails
    (an explanation must never cost the score), degraded only if the model itself fails."""
    try:
        return run_within(lambda: predict_with_shifts(bundle, features, _tried(bundle)), timeout)
    except ModelTimeout:
        raise
    except Exception as exc:  # noqa: BLE001
        log.warning("explanation shifts skipped for model %s: %s", bundle.version, exc)
        return predict_within(bundle, features, timeout), None


def _tried(bundle: ModelBundle) -> int:
    return int(bundle.meta.get("config", {}).get("explain_features", 12))


def active_model_outcome(rule_output) -> ModelOutcome:  # noqa: ANN001 - RuleOutput
    """`model_outcome` with this app's MODEL_DIR and MODEL_TIMEOUT_SECONDS."""
    config = current_app.config
    return model_outcome(rule_output, Path(config["MODEL_DIR"]), config["MODEL_TIMEOUT_SECONDS"])


def explanations(outcome: ModelOutcome, routes: pd.Series, top: int = 5) -> pd.Series:
    """proof_id -> [{feature, value, contribution}] for proofs a person will read (not auto-approved)."""
    result = pd.Series(None, index=routes.index, dtype=object)
    if outcome.bundle is None or outcome.features is None:
        return result
    read = routes.index[(routes != "auto_approve").to_numpy()]
    if len(read) == 0:
        return result
    try:
        base = outcome.probabilities.loc[read].to_numpy() if outcome.probabilities is not None else None
        if outcome.shifts is not None:
            shifts = outcome.shifts[:, outcome.features.index.get_indexer(read)]
            rows = explain(outcome.bundle, outcome.features.loc[read], top=top, tried=_tried(outcome.bundle),
                           base=base, shifts=shifts)
        else:
            rows = run_within(lambda: explain(outcome.bundle, outcome.features.loc[read], top=top,
                                              tried=_tried(outcome.bundle), base=base), outcome.timeout)
    except Exception as exc:  # noqa: BLE001 - an explanation must never fail the score
        log.warning("explanations skipped for model %s: %s", outcome.bundle.version, exc)
        return result
    result.loc[read] = pd.Series(rows, index=read, dtype=object)
    return result

"""Training on labelled proofs with a split by time: older proofs train, the newest validate.

Rows are never split at random: a fraud model is used on proofs newer than anything it saw,
so it is validated that way. Inside the training part, the newest slice calibrates.
"""
from __future__ import annotations

import platform
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

import joblib
import numpy as np
import pandas as pd
import sklearn

from ml.config import TrainingConfig
from ml.evaluate import metrics
from ml.explain import rank_features
from ml.novelty import SignalCoverage
from ml.operating import Validation, choose
from ml.pipeline import fit_calibrated
from ml.predict import predict_proba
from ml.registry import ModelBundle
from ml.weights import learn_weights, learned_reading
from review_rules.reasons import stated


class NotEnoughLabels(ValueError):
    """The labelled history cannot train or validate a model."""


@dataclass
class LabelledSet:
    """Model features, labels (1 = rejected as fraud) and submission times, all indexed by proof_id."""

    features: pd.DataFrame
    labels: pd.Series
    submitted_at: pd.Series
    signals: tuple[str, ...] = ()  # the feature columns that are rule signal scores
    rule_score: pd.Series | None = None  # the rules' combined score (routing needs it, the trees do not)
    hard_hold: pd.Series | None = None

    def subset(self, ids: pd.Index) -> LabelledSet:
        def part(series: pd.Series | None) -> pd.Series | None:
            return None if series is None else series.loc[ids]

        return LabelledSet(self.features.loc[ids], self.labels.loc[ids], self.submitted_at.loc[ids], self.signals,
                           part(self.rule_score), part(self.hard_hold))


@dataclass
class TrainResult:
    bundle: ModelBundle
    metrics: dict[str, float]
    validation_ids: pd.Index


def time_split(submitted_at: pd.Series, newer_share: float) -> tuple[pd.Index, pd.Index, pd.Timestamp]:
    """(older ids, newer ids, cut): every older proof was submitted strictly before every newer one."""
    if submitted_at.empty:
        raise NotEnoughLabels(stated("no labelled proofs"))
    ordered = submitted_at.sort_values(kind="stable")
    cut = ordered.iloc[min(int(len(ordered) * (1 - newer_share)), len(ordered) - 1)]
    older = ordered.index[(ordered < cut).to_numpy()]
    newer = ordered.index[(ordered >= cut).to_numpy()]
    if older.empty:
        raise NotEnoughLabels(stated("every labelled proof has the same submission time; no older part to train on"))
    return older, newer, cut


def check_labels(labels: pd.Series, config: TrainingConfig, part: str | None = None) -> None:
    """Raise NotEnoughLabels with the counts when a part (default: the whole labelled history) is too
    small or holds one class."""
    fraud, honest = int((labels == 1).sum()), int((labels == 0).sum())
    if fraud + honest < config.min_labels and part is None:
        raise NotEnoughLabels(stated("%(part)s: %(n)s labelled proofs, at least %(needed)s needed",
                                     part=stated("labelled history"), n=fraud + honest, needed=config.min_labels))
    if min(fraud, honest) < config.min_per_class:
        raise NotEnoughLabels(stated("%(part)s: %(fraud)s rejected and %(honest)s approved proofs; each class "
                                     "needs at least %(needed)s", part=part or stated("labelled history"),
                                     fraud=fraud, honest=honest, needed=config.min_per_class))


def new_version(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"m{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(2)}"


def train(data: LabelledSet, config: TrainingConfig | None = None, version: str | None = None,
          rule_config: dict | None = None) -> TrainResult:
    """Fit, calibrate, validate on the newest window and package the model with its metadata.

    With `rule_config` and the rules' scores in `data`, the operating point (route thresholds and
    novelty floor, ml/operating.py) is chosen on the validation window and stored with the model."""
    config = (config or TrainingConfig()).validate()
    check_labels(data.labels, config)
    older, newer, cut = time_split(data.submitted_at, config.validation_share)
    fit_ids, cal_ids, cal_cut = time_split(data.submitted_at.loc[older], config.calibration_share)
    for part, ids in ((stated("training slice"), fit_ids), (stated("calibration slice"), cal_ids),
                      (stated("validation window"), newer)):
        check_labels(data.labels.loc[ids], config, part)
    fit, cal, valid = data.subset(fit_ids), data.subset(cal_ids), data.subset(newer)
    estimator = fit_calibrated(fit.features, fit.labels.to_numpy(), cal.features, cal.labels.to_numpy(), config)
    medians = {k: float(v) for k, v in fit.features.median().items() if pd.notna(v)}
    names = list(data.features.columns)
    bundle = ModelBundle(version=version or new_version(), estimator=estimator, feature_names=names,
                         medians=medians, explain_features=[])
    scores = predict_proba(bundle, valid.features).to_numpy()
    result_metrics = metrics(valid.labels.to_numpy(), scores, config.max_fpr, config.ece_bins)
    sample = valid.features.iloc[:config.importance_rows]
    bundle.explain_features = rank_features(estimator, sample, medians)
    bundle.meta = _meta(data, {"fit": fit_ids, "calibration": cal_ids, "validation": newer},
                        {"calibration_from": cal_cut, "validation_from": cut}, result_metrics, config)
    bundle.meta["signal_support"] = signal_support(data.subset(older))
    bundle.meta["min_signal_support"] = config.booster.min_samples_leaf
    signal_codes = [c for c in data.signals if c in data.features]
    if signal_codes:
        bundle.coverage = SignalCoverage.fit(data.features.loc[older, signal_codes])
        bundle.meta["novelty"] = bundle.coverage.summary()
    if rule_config is not None and signal_codes:
        bundle.meta["learned_weights"] = learn_weights(data.features.loc[older, signal_codes], data.labels.loc[older],
                                                       rule_config, data.submitted_at.loc[older])
    if rule_config is not None and data.rule_score is not None and bundle.coverage is not None:
        bundle.meta["operating_point"] = operating_point(bundle, valid, scores, rule_config, config)
    return TrainResult(bundle=bundle, metrics=result_metrics, validation_ids=newer)


def operating_point(bundle: ModelBundle, valid: LabelledSet, scores: np.ndarray, rule_config: dict,
                    config: TrainingConfig) -> dict:
    """ml.operating.choose on the validation window, with the model's own novelty measure."""
    times = valid.submitted_at
    days = max((times.max() - times.min()).total_seconds() / 86400.0, 1.0 / 24)
    hard = valid.hard_hold if valid.hard_hold is not None else pd.Series(False, index=valid.labels.index)
    window = Validation(labels=valid.labels.to_numpy(), model=scores, rule=valid.rule_score.to_numpy(dtype=float),
                        hard=hard.fillna(False).to_numpy(dtype=bool),
                        support=bundle.coverage.support(valid.features[bundle.coverage.codes]), days=days,
                        reading=learned_reading(valid.features[bundle.coverage.codes],
                                                bundle.meta.get("learned_weights")))
    return choose(window, rule_config, config.target())


def signal_support(data: LabelledSet) -> dict[str, int]:
    """Per signal: on how many training proofs it fired. Below a tree's smallest leaf, the model
    cannot have learned anything about it (see review_rules/combine.py, `unseen`)."""
    return {code: int((data.features[code] > 0).sum()) for code in data.signals if code in data.features}


def evaluate_bundle(bundle: ModelBundle, data: LabelledSet, config: TrainingConfig | None = None) -> dict[str, float]:
    """Metrics of an already trained model on `data` (e.g. a candidate's validation window)."""
    config = config or TrainingConfig()
    scores = predict_proba(bundle, data.features).to_numpy()
    return metrics(data.labels.to_numpy(), scores, config.max_fpr, config.ece_bins)


def _meta(data: LabelledSet, parts: dict[str, pd.Index], cuts: dict[str, pd.Timestamp],
          result_metrics: dict[str, float], config: TrainingConfig) -> dict:
    window = {}
    for name, ids in parts.items():
        times = data.submitted_at.loc[ids]
        window[name] = {"from": times.min().isoformat(), "to": times.max().isoformat(), "rows": int(len(ids)),
                        "positives": int(data.labels.loc[ids].sum())}
    return {
        "trained_at": datetime.now(UTC).isoformat(),
        "data_window": window,
        "cuts": {k: v.isoformat() for k, v in cuts.items()},
        "metrics": result_metrics,
        "config": config.as_dict(),
        "libraries": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                      "numpy": np.__version__, "pandas": pd.__version__, "joblib": joblib.__version__},
    }

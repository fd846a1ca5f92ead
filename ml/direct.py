"""A direct path through the trained estimator for small inputs.

scikit-learn's generic predict_proba on a calibrated pipeline validates a data frame, selects
its columns by name and checks the calibration's classes on every call: for the one proof of an
online request that costs about 2 ms against 0.3 ms for the trees themselves. Scoring already
hands the model its features in training order, so the shape this project trains
(CalibratedClassifierCV over a frozen Pipeline of a pass-through column selection and a
boosted-tree classifier; ml/pipeline.py) can go straight to the trees' decision function and the
calibrators. Any other estimator, or one whose direct answers differ from scikit-learn's on the
first rows it is asked about (and a few probe rows), keeps the generic path.
"""
from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

Direct = Callable[[np.ndarray], np.ndarray]  # float rows in training order -> P(positive class)
_UNUSABLE = object()
_known: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def direct_path(estimator, feature_names: list[str], rows: np.ndarray) -> Direct | None:  # noqa: ANN001
    """The direct P(fraud) of `estimator` over rows in `feature_names` order, or None. Checked once per
    estimator and feature order, against scikit-learn on `rows` (the first input), then cached while
    the estimator lives."""
    try:
        per_order = _known.setdefault(estimator, {})
    except TypeError:  # not weak-referenceable: no cache, no direct path
        return None
    key = tuple(feature_names)
    if key not in per_order:
        per_order[key] = _build(estimator, list(feature_names), rows) or _UNUSABLE
    found = per_order[key]
    return None if found is _UNUSABLE else found


def _build(estimator, feature_names: list[str], rows: np.ndarray) -> Direct | None:  # noqa: ANN001
    parts = _parts(estimator, feature_names)
    if parts is None:
        return None

    def direct(rows: np.ndarray) -> np.ndarray:
        total = np.zeros(len(rows))
        for trees, calibrator in parts:
            p = calibrator.predict(trees.decision_function(rows))
            p[(p > 1.0) & (p <= 1.0 + 1e-5)] = 1.0  # as scikit-learn trims a calibrator's overshoot
            total += p
        return total / len(parts)

    return direct if _agrees(direct, estimator, feature_names, rows) else None


def _parts(estimator, feature_names: list[str]) -> list[tuple] | None:  # noqa: ANN001
    """(trees, calibrator) per calibrated classifier, if `estimator` has the shape trained here."""
    if not isinstance(estimator, CalibratedClassifierCV) or list(getattr(estimator, "classes_", [])) != [0, 1]:
        return None
    parts = []
    for calibrated in getattr(estimator, "calibrated_classifiers_", []):
        frozen = calibrated.estimator
        if calibrated.method not in ("isotonic", "sigmoid") or len(calibrated.calibrators) != 1 \
                or not isinstance(frozen, FrozenEstimator) or list(frozen.classes_) != [0, 1]:
            return None
        pipeline = frozen.estimator
        if not isinstance(pipeline, Pipeline) or len(pipeline.steps) != 2:
            return None
        select, trees = pipeline.steps[0][1], pipeline.steps[1][1]
        if not _selects_in_order(select, feature_names) or not hasattr(trees, "decision_function") \
                or hasattr(trees, "feature_names_in_"):
            return None
        parts.append((trees, calibrated.calibrators[0]))
    return parts or None


def _selects_in_order(select, feature_names: list[str]) -> bool:  # noqa: ANN001
    """True if `select` passes exactly `feature_names` through, in that order, and drops the rest."""
    if not isinstance(select, ColumnTransformer):
        return False
    kept = [(transformer, columns) for _, transformer, columns in select.transformers_ if transformer != "drop"]
    if len(kept) != 1:
        return False
    transformer, columns = kept[0]
    passes = transformer == "passthrough" or (isinstance(transformer, FunctionTransformer)
                                              and transformer.func is None)
    return passes and list(columns) == feature_names


def _agrees(direct: Direct, estimator, feature_names: list[str], rows: np.ndarray) -> bool:  # noqa: ANN001
    """The direct path gives scikit-learn's probabilities on `rows` and on probe rows (all missing,
    zeros, ones), or it is not used."""
    width = len(feature_names)
    probe = np.vstack([np.asarray(rows, dtype=np.float32).reshape(-1, width),
                       np.full(width, np.nan), np.zeros(width), np.ones(width)]).astype(np.float32)
    try:
        expected = estimator.predict_proba(pd.DataFrame(probe, columns=feature_names))[:, 1]
        return bool(np.allclose(direct(probe), expected, rtol=0, atol=1e-12, equal_nan=True))
    except Exception:  # noqa: BLE001 - anything unexpected keeps the generic path
        return False

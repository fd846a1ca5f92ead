"""Per-proof explanations: how much each feature moved the fraud probability.

A feature's contribution is p(proof) - p(proof with that feature set to its training median):
positive means the proof's value pushed the score up. Only the features that matter most
globally are tried, and all of them in one stacked prediction, so a batch costs a few predicts.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ml.features import align
from ml.predict import probabilities


def _probabilities(estimator, frame: pd.DataFrame) -> np.ndarray:  # noqa: ANN001 - any sklearn classifier
    return probabilities(estimator, frame)


def median_shifts(estimator, x: pd.DataFrame, features: list[str],  # noqa: ANN001
                  medians: dict[str, float], base: np.ndarray | None = None) -> np.ndarray:
    """(len(features), len(x)) array of p(x) - p(x with one feature at its median).

    `base` = p(x) when the caller already has it (scoring does), saving one prediction.
    """
    base = _probabilities(estimator, x) if base is None else np.asarray(base, dtype=float)
    shifted, where = shifted_rows(x, features, medians)
    predicted = _probabilities(estimator, pd.DataFrame(shifted, columns=x.columns)) if len(shifted) else shifted
    return shifts_from(base, predicted, where, len(features))


def shifted_rows(x: pd.DataFrame, features: list[str],
                 medians: dict[str, float]) -> tuple[np.ndarray, list[tuple[int, np.ndarray]]]:
    """Copies of the rows of `x` with one feature set to its median, stacked, and for each block
    (feature position, rows of x it copies). A row already at the median is not copied: the swap
    would change nothing."""
    values = x.to_numpy(dtype=np.float32)
    blocks, where = [], []
    for k, name in enumerate(features):
        column = x.columns.get_loc(name)
        median = np.float32(medians.get(name, np.nan))
        current = values[:, column]
        differs = np.flatnonzero(~((current == median) | (np.isnan(current) & np.isnan(median))))
        if len(differs):
            block = values[differs].copy()
            block[:, column] = median
            blocks.append(block)
            where.append((k, differs))
    return (np.vstack(blocks) if blocks else np.zeros((0, x.shape[1]), dtype=np.float32)), where


def shifts_from(base: np.ndarray, shifted: np.ndarray, where: list[tuple[int, np.ndarray]],
                features: int) -> np.ndarray:
    """The (features, rows) shift array from the predictions of `shifted_rows`' stack."""
    shifts = np.zeros((features, len(base)))
    start = 0
    for k, rows in where:
        shifts[k, rows] = base[rows] - shifted[start:start + len(rows)]
        start += len(rows)
    return shifts


def candidates(bundle, x: pd.DataFrame, tried: int) -> list[str]:  # noqa: ANN001 - ModelBundle
    """The features an explanation tries: the globally strongest ones the frame has."""
    return [f for f in bundle.explain_features if f in x.columns][:tried]


def predict_with_shifts(bundle, features: pd.DataFrame, tried: int) -> tuple[pd.Series, np.ndarray]:  # noqa: ANN001
    """P(fraud) per row and the explanation shifts (`median_shifts` over `candidates`), from one
    prediction of the rows and their shifted copies stacked: for a small batch, as when one proof
    is scored online, a prediction costs the same for 1 row or 13, so the second call is saved."""
    x = align(features, bundle.feature_names)
    tried_features = candidates(bundle, x, tried)
    shifted, where = shifted_rows(x, tried_features, bundle.medians)
    stacked = pd.DataFrame(np.vstack([x.to_numpy(dtype=np.float32), shifted]), columns=x.columns)
    predicted = np.clip(probabilities(bundle.estimator, stacked), 0.0, 1.0)
    base = predicted[:len(x)]
    return (pd.Series(base, index=features.index, name="model_score"),
            shifts_from(base, predicted[len(x):], where, len(tried_features)))


def rank_features(estimator, x: pd.DataFrame, medians: dict[str, float]) -> list[str]:  # noqa: ANN001
    """Every feature, most influential first (mean absolute median shift over `x`)."""
    names = list(x.columns)
    shifts = median_shifts(estimator, x, names, medians)
    strength = np.abs(shifts).mean(axis=1)
    return [names[i] for i in np.argsort(-strength, kind="stable")]


def explain(bundle, features: pd.DataFrame, top: int = 5, tried: int = 12,  # noqa: ANN001
            base: np.ndarray | None = None, shifts: np.ndarray | None = None) -> list[list[dict]]:
    """For each row: up to `top` {feature, value, contribution}, largest |contribution| first.

    `shifts`: the rows' shifts from `predict_with_shifts`, when the scorer already has them.
    """
    if features.empty:
        return []
    x = align(features, bundle.feature_names)
    tried_features = candidates(bundle, x, tried)
    if shifts is None:
        shifts = median_shifts(bundle.estimator, x, tried_features, bundle.medians, base)
    if not tried_features:
        return [[] for _ in range(len(x))]
    order = np.argsort(-np.abs(shifts), axis=0, kind="stable")[:top]
    values = x.to_numpy(dtype=float)[:, x.columns.get_indexer(tried_features)]
    out: list[list[dict]] = []
    for row in range(len(x)):
        items = []
        for feature_index in order[:, row]:
            contribution = float(shifts[feature_index, row])
            if abs(contribution) < 1e-4:
                continue  # the feature sits at its median: it explains nothing here
            value = values[row, feature_index]
            items.append({"feature": tried_features[feature_index],
                          "value": None if math.isnan(value) else round(float(value), 4),
                          "contribution": round(contribution, 4)})
        out.append(items)
    return out

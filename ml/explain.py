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
    shifts = np.zeros((len(features), len(x)))
    values = x.to_numpy(dtype=np.float32)
    blocks, where = [], []
    for k, name in enumerate(features):
        column = x.columns.get_loc(name)
        median = np.float32(medians.get(name, np.nan))
        current = values[:, column]
        # A proof already at the median gains nothing from the swap: predict only the others.
        differs = np.flatnonzero(~((current == median) | (np.isnan(current) & np.isnan(median))))
        if len(differs):
            block = values[differs].copy()
            block[:, column] = median
            blocks.append(block)
            where.append((k, differs))
    if blocks:
        stacked = pd.DataFrame(np.vstack(blocks), columns=x.columns)
        shifted = _probabilities(estimator, stacked)
        start = 0
        for k, rows in where:
            shifts[k, rows] = base[rows] - shifted[start:start + len(rows)]
            start += len(rows)
    return shifts


def rank_features(estimator, x: pd.DataFrame, medians: dict[str, float]) -> list[str]:  # noqa: ANN001
    """Every feature, most influential first (mean absolute median shift over `x`)."""
    names = list(x.columns)
    shifts = median_shifts(estimator, x, names, medians)
    strength = np.abs(shifts).mean(axis=1)
    return [names[i] for i in np.argsort(-strength, kind="stable")]


def explain(bundle, features: pd.DataFrame, top: int = 5, tried: int = 12,  # noqa: ANN001
            base: np.ndarray | None = None) -> list[list[dict]]:
    """For each row: up to `top` {feature, value, contribution}, largest |contribution| first."""
    if features.empty:
        return []
    x = align(features, bundle.feature_names)
    candidates = [f for f in bundle.explain_features if f in x.columns][:tried]
    shifts = median_shifts(bundle.estimator, x, candidates, bundle.medians, base)
    if not candidates:
        return [[] for _ in range(len(x))]
    order = np.argsort(-np.abs(shifts), axis=0, kind="stable")[:top]
    values = x[candidates].to_numpy(dtype=float)
    out: list[list[dict]] = []
    for row in range(len(x)):
        items = []
        for feature_index in order[:, row]:
            contribution = float(shifts[feature_index, row])
            if abs(contribution) < 1e-4:
                continue  # the feature sits at its median: it explains nothing here
            value = values[row, feature_index]
            items.append({"feature": candidates[feature_index],
                          "value": None if math.isnan(value) else round(float(value), 4),
                          "contribution": round(contribution, 4)})
        out.append(items)
    return out

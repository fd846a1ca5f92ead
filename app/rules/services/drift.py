"""Drift: the model's input features over the last days against the window the active model was fit on.

Features are computed the way training computes them (`rule_features`: the batch loader and the
rules point in time), for a bounded sample of each window. Drift per feature is the population
stability index over ten bins cut at the training window's deciles:
PSI = sum_b (recent_b - train_b) * ln(recent_b / train_b); below 0.1 stable, 0.1-0.2 moderate,
above 0.2 a shift worth retraining for.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from app.platform.i18n import _
from app.scoring.services import model_training
from app.scoring.services import models_registry as registry
from models import Proof, db

BINS = 10
SAMPLE = 20_000  # proofs per window: enough for ten bins, bounded cost
EPS = 1e-4


def shares(train: np.ndarray, recent: np.ndarray, bins: int = BINS) -> tuple[np.ndarray, np.ndarray]:
    """Each window's share of values per bin, the bins cut at the training window's deciles (NaN, the
    last bin, counts apart): the two distributions the drift figure compares."""
    train, recent = np.asarray(train, dtype=float), np.asarray(recent, dtype=float)
    finite = train[~np.isnan(train)]
    edges = np.unique(np.quantile(finite, np.linspace(0, 1, bins + 1)[1:-1])) if len(finite) else np.array([])

    def of(values: np.ndarray) -> np.ndarray:
        if not len(values):
            return np.zeros(len(edges) + 2)
        nan = np.isnan(values)
        counts = np.bincount(np.searchsorted(edges, values[~nan], side="right"), minlength=len(edges) + 1)
        return np.append(counts, nan.sum()) / len(values)

    return of(train), of(recent)


def psi(train: np.ndarray, recent: np.ndarray, bins: int = BINS) -> float:
    """Population stability index of `recent` against `train` (NaN counts as its own bin)."""
    a, b = (part + EPS for part in shares(train, recent, bins))
    return float(np.sum((b - a) * np.log(b / a)))


def drift_table(train: pd.DataFrame, recent: pd.DataFrame) -> list[dict[str, Any]]:
    """Per feature: means in both windows, both distributions over the training deciles and the PSI,
    largest drift first."""
    rows = []
    for column in train.columns:
        if column not in recent.columns:
            continue
        a, b = train[column].to_numpy(dtype=float), recent[column].to_numpy(dtype=float)
        value = psi(a, b)
        before, after = shares(a, b)
        rows.append({"feature": column, "psi": round(value, 4),
                     "train_mean": None if np.isnan(a).all() else round(float(np.nanmean(a)), 4),
                     "recent_mean": None if np.isnan(b).all() else round(float(np.nanmean(b)), 4),
                     "train_shares": np.round(before, 4).tolist(), "recent_shares": np.round(after, 4).tolist(),
                     "level": "shift" if value > 0.2 else "moderate" if value > 0.1 else "stable"})
    return sorted(rows, key=lambda r: (-r["psi"], r["feature"]))


def _ids(since: datetime, until: datetime) -> list[str]:
    ids = list(db.session.scalars(sa.select(Proof.id).where(Proof.submitted_at >= since, Proof.submitted_at <= until)
                                  .order_by(Proof.submitted_at, Proof.id)))
    step = max(1, len(ids) // SAMPLE)
    return ids[::step][:SAMPLE]


def drift(days: int = 7) -> dict[str, Any]:
    """The active model's fit window against the last `days` days of stored proofs."""
    row = registry.active_version()
    if row is None:
        return {"error": _("no active model: rules alone score")}
    window = (row.meta or {}).get("data_window", {}).get("fit")
    if not window:
        return {"error": _("model %(v)s does not record its training window", v=row.version)}
    fit_from, fit_to = datetime.fromisoformat(window["from"]), datetime.fromisoformat(window["to"])
    newest = db.session.scalar(sa.select(sa.func.max(Proof.submitted_at)))
    if newest is None:
        return {"error": _("no proofs stored")}
    recent_from = newest - timedelta(days=days)
    train_ids, recent_ids = _ids(fit_from, fit_to), _ids(recent_from, newest)
    if not train_ids or not recent_ids:
        return {"error": _("no stored proofs in the training window (%(f)s – %(t)s) or in the last %(d)s days",
                           f=window["from"], t=window["to"], d=days)}
    features, _submitted, _facts = model_training.rule_features(sorted(set(train_ids) | set(recent_ids)), 24.0)
    return {"model": row.version, "train": {"from": window["from"], "to": window["to"], "rows": len(train_ids)},
            "recent": {"from": recent_from.isoformat(), "to": newest.isoformat(), "rows": len(recent_ids)},
            "features": drift_table(features.reindex(train_ids), features.reindex(recent_ids))}

"""Small synthetic feature frames with a learnable fraud signal, shared by the ml tests."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ml.config import BoosterParams, TrainingConfig
from ml.train import LabelledSet

FAST = TrainingConfig(min_labels=100, min_per_class=10, importance_rows=300,
                      booster=BoosterParams(max_iter=30, min_samples_leaf=10))


def labelled_set(n: int = 1200, seed: int = 0, strength: float = 3.0) -> LabelledSet:
    """Proofs one minute apart; fraud shifts two of four features by `strength`."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.25).astype(int)
    ids = pd.Index([f"p{i:05d}" for i in range(n)], name="proof_id")
    features = pd.DataFrame({
        "ip.hosting_asn": np.clip(rng.normal(0.2, 0.2, n) + 0.5 * y * strength / 3, 0, 1),
        "device.shared_hardware": rng.normal(size=n) + strength * y,
        "timing.noise": rng.normal(size=n),
        "rule_score": np.where(rng.random(n) < 0.2, np.nan, rng.random(n)),
    }, index=ids).astype(np.float32)
    submitted = pd.Series(pd.date_range("2026-09-01", periods=n, freq="min", tz="UTC"), index=ids)
    return LabelledSet(features, pd.Series(y, index=ids), submitted)


class ColumnRisk:
    """A tiny picklable 'model': P(fraud) = base + slope * value of one feature (clipped)."""

    def __init__(self, column: str, base: float = 0.0, slope: float = 0.0):
        self.column, self.base, self.slope = column, base, slope

    def predict_proba(self, x: pd.DataFrame) -> np.ndarray:
        values = x[self.column].fillna(0.0).to_numpy(dtype=float) if self.column in x else np.zeros(len(x))
        p = np.clip(self.base + self.slope * values, 0.0, 1.0)
        return np.column_stack([1.0 - p, p])

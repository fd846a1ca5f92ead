"""Metrics of a fraud model on a labelled window, and the rule that decides promotion."""
from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score, roc_curve

#: Promotion compares these in order; a tie on the first falls through to the next.
PROMOTION_KEYS = ("pr_auc", "recall_at_fpr")


def recall_at_fpr(y: np.ndarray, p: np.ndarray, max_fpr: float = 0.01) -> float:
    """The largest share of fraud caught while at most `max_fpr` of honest proofs are flagged."""
    fpr, tpr, _ = roc_curve(y, p)
    allowed = fpr <= max_fpr + 1e-12
    return float(tpr[allowed].max()) if allowed.any() else 0.0


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean |observed fraud rate - predicted probability| over equal-width bins, weighted by bin size."""
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    which = np.minimum((p * bins).astype(int), bins - 1)
    counts = np.bincount(which, minlength=bins)
    observed = np.bincount(which, weights=y, minlength=bins)
    predicted = np.bincount(which, weights=p, minlength=bins)
    filled = counts > 0
    gaps = np.abs(observed[filled] - predicted[filled])  # = n_bin * |rate - mean p|
    return float(gaps.sum() / max(len(y), 1))


def metrics(y: np.ndarray, p: np.ndarray, max_fpr: float = 0.01, bins: int = 10) -> dict[str, float]:
    """PR-AUC, ROC-AUC, recall at `max_fpr`, ECE and Brier score; needs both classes in `y`."""
    y, p = np.asarray(y, dtype=int), np.asarray(p, dtype=float)
    if len(np.unique(y)) < 2:
        raise ValueError("metrics need both fraud and honest labels in the window")
    return {
        "pr_auc": float(average_precision_score(y, p)),
        "roc_auc": float(roc_auc_score(y, p)),
        "recall_at_fpr": recall_at_fpr(y, p, max_fpr),
        "max_fpr": max_fpr,
        "ece": expected_calibration_error(y, p, bins),
        "brier": float(brier_score_loss(y, p)),
        "rows": int(len(y)),
        "positives": int(y.sum()),
    }


def beats(candidate: dict[str, float], incumbent: dict[str, float] | None, min_gain: float = 0.0) -> bool:
    """True when the candidate is better on PR-AUC (then recall at the FPR bound) on the same window."""
    if not incumbent:
        return True
    for key in PROMOTION_KEYS:
        gain = candidate.get(key, 0.0) - incumbent.get(key, 0.0)
        if gain > min_gain + 1e-9:
            return True
        if gain < -1e-9:
            return False
    return False

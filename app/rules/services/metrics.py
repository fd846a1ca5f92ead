"""What a rule-set version would have done on labelled history, as figures: pure array arithmetic.

Input is one row per labelled proof (label 1 = rejected, i.e. fraud), the route and risk the
version gives it, and the per-signal scores; nothing here reads the database, so the sums are
tested on hand-made frames. "Flagged" means sent to a person (`review` or `hold`).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

FLAGGED = ("review", "hold")
PR_POINTS = 40
SAMPLE = 50


def _ratio(top: float, bottom: float) -> float | None:
    return round(float(top) / float(bottom), 4) if bottom else None


def summarise(frame: pd.DataFrame, scores: pd.DataFrame, weights: dict[str, float],
              baseline: pd.Series | None = None) -> dict[str, Any]:
    """Figures for one version. `frame`: index proof_id; columns label, day, reward_cents, route, risk.
    `scores`: per-signal scores (same index). `baseline`: the active version's routes, to compare."""
    label = frame["label"].to_numpy(dtype=bool)
    route = frame["route"].to_numpy(dtype=object)
    flagged = np.isin(route, FLAGGED)
    held = route == "hold"
    reward = frame["reward_cents"].fillna(0).to_numpy(dtype=np.int64)
    true_pos = int((flagged & label).sum())
    out: dict[str, Any] = {
        "proofs": len(frame), "rejected": int(label.sum()), "approved": int((~label).sum()),
        "flagged": int(flagged.sum()), "held": int(held.sum()),
        "auto_approved": int((route == "auto_approve").sum()),
        "true_positives": true_pos,
        "precision": _ratio(true_pos, flagged.sum()), "recall": _ratio(true_pos, label.sum()),
        "honest_flagged": int((flagged & ~label).sum()),
        "fraud_auto_approved": int((~flagged & label).sum()),
        "money_held_cents": int(reward[held].sum()),
        "money_in_review_cents": int(reward[flagged].sum()),
        "fraud_money_passed_cents": int(reward[~flagged & label].sum()),
        "by_day": by_day(frame["day"], flagged, label),
        "pr_curve": pr_curve(frame["risk"].to_numpy(dtype=float), label),
        "signals": signal_figures(scores.reindex(frame.index).fillna(0.0), weights, label, flagged),
    }
    if baseline is not None:
        out["changes"] = route_changes(frame, baseline.reindex(frame.index))
    return out


def by_day(days: pd.Series, flagged: np.ndarray, label: np.ndarray) -> list[dict[str, Any]]:
    """Per submission day: proofs, flagged (the review load), rejected (fraud)."""
    grouped = pd.DataFrame({"day": days.to_numpy(), "proofs": 1, "flagged": flagged.astype(int),
                            "rejected": label.astype(int)}).groupby("day", sort=True).sum()
    return [{"day": str(day), "proofs": int(row.proofs), "flagged": int(row.flagged), "rejected": int(row.rejected)}
            for day, row in grouped.iterrows()]


def pr_curve(risk: np.ndarray, label: np.ndarray, points: int = PR_POINTS) -> list[dict[str, float]]:
    """Precision and recall of "flag when risk >= t" at up to `points` thresholds t (risk quantiles)."""
    positives = int(label.sum())
    if not len(risk) or not positives:
        return []
    order = np.argsort(-risk, kind="stable")
    sorted_risk, hits = risk[order], np.cumsum(label[order])
    thresholds = np.unique(np.quantile(risk, np.linspace(0, 1, points)))
    # flagged at t = proofs with risk >= t = position of the first risk below t in the descending order
    flagged = np.searchsorted(-sorted_risk, -thresholds, side="right")
    curve = []
    for t, n in zip(thresholds.tolist(), flagged.tolist(), strict=True):
        tp = int(hits[n - 1]) if n else 0
        curve.append({"threshold": t, "precision": round(tp / n, 4) if n else 1.0,
                      "recall": round(tp / positives, 4), "flagged": n})
    return curve


def signal_figures(scores: pd.DataFrame, weights: dict[str, float], label: np.ndarray,
                   flagged: np.ndarray) -> list[dict[str, Any]]:
    """Per signal: fires on approved / rejected proofs, precision when it fires, and its contribution:
    the mean share of the noisy-OR evidence (-log(1 - w*s)) it carries in the flagged proofs."""
    if scores.empty or not len(scores.columns):
        return []
    values = scores.to_numpy(dtype=float)
    w = np.array([weights.get(code, 0.0) for code in scores.columns])
    evidence = -np.log1p(-np.clip(values * w, 0.0, 0.999999))
    total = evidence.sum(axis=1, keepdims=True)
    share = np.divide(evidence, total, out=np.zeros_like(evidence), where=total > 0)
    n_flagged = int(flagged.sum())
    fires = values > 0
    out = []
    for k, code in enumerate(scores.columns):
        on_rejected = int((fires[:, k] & label).sum())
        on_approved = int((fires[:, k] & ~label).sum())
        out.append({"code": code, "weight": float(w[k]), "fires": on_rejected + on_approved,
                    "fires_rejected": on_rejected, "fires_approved": on_approved,
                    "precision": _ratio(on_rejected, on_rejected + on_approved),
                    "contribution": round(float(share[flagged, k].sum()) / n_flagged, 4) if n_flagged else 0.0})
    return sorted(out, key=lambda s: (-s["contribution"], -s["fires"], s["code"]))


def route_changes(frame: pd.DataFrame, baseline: pd.Series, sample: int = SAMPLE) -> dict[str, Any]:
    """Proofs whose route differs from the baseline's: counts by (before, after) and a sample (fraud first)."""
    before = baseline.fillna("none").to_numpy(dtype=object)
    after = frame["route"].to_numpy(dtype=object)
    moved = before != after
    pairs = pd.Series(list(zip(before[moved], after[moved], strict=True)), dtype=object).value_counts()
    chosen = frame.loc[moved].assign(before=before[moved]).sort_values(["label", "risk"], ascending=[False, False])
    rows = [{"proof_id": str(pid), "before": str(row.before), "after": str(row.route), "label": int(row.label),
             "risk": round(float(row.risk), 4)} for pid, row in chosen.head(sample).iterrows()]
    return {"count": int(moved.sum()),
            "by_move": [{"before": b, "after": a, "count": int(n)} for (b, a), n in pairs.items()],
            "sample": rows}

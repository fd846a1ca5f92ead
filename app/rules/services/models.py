"""The classifier's lifecycle for operators: versions with their metrics, comparison on the newest
labelled window, promotion and rollback. Thin over the scoring area's registry and training services;
the caller commits, then queues the stale-score rescoring (app/rules/jobs.py `after_model_change`)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import sqlalchemy as sa
from flask import current_app

from app.platform.i18n import _
from app.platform.paging import NewestFirst, newest_first
from app.rules.services.metrics import pr_curve
from app.rules.services.versions import checked, resolve
from app.scoring.services import model_training
from app.scoring.services import models_registry as registry
from app.scoring.services.model_training import EvaluationReport, evaluate_versions
from ml.evaluate import metrics
from ml.predict import predict_proba
from ml.registry import ArtifactError
from ml.train import NotEnoughLabels, time_split
from models import DomainError, ModelVersion, ReviewDecision, StaffUser, Task, db
from review_rules.combine import operating_thresholds

METRICS = ("pr_auc", "roc_auc", "recall_at_fpr", "ece", "brier", "rows", "positives")
TRAIN_TASK_KIND = "train_model"


class ModelChangeError(DomainError):
    status_code = 422


def versions(before: int | None = None, size: int = 50) -> NewestFirst:
    """One page of the stored models, newest first (ids grow with each registration)."""
    return newest_first(sa.select(ModelVersion), ModelVersion.id, before, size)


def training_tasks(limit: int = 10) -> list[Task]:
    return list(db.session.scalars(sa.select(Task).where(Task.kind == TRAIN_TASK_KIND)
                                   .order_by(Task.id.desc()).limit(limit)))


def compare() -> dict:
    """Active and candidate models on the same newest labelled window (reads only): their metrics, PR
    curve with the point where the model alone would send a proof to a person (its own operating
    point's auto-approve threshold, which routes while it scores; the active rule set's for a model
    that recorded none), calibration by decile of predicted risk, and recall per fraud reason code."""
    config = model_training.TrainingConfig().validate()
    try:
        data, _ = model_training.labelled_set(config)
        _, newer, cut = time_split(data.submitted_at, config.validation_share)
    except NotEnoughLabels as exc:
        return {"window": {"error": str(exc)}, "models": []}
    window = data.subset(newer)
    y = window.labels.to_numpy().astype(bool)
    ids = list(window.features.index)
    reasons = _reasons(ids)
    rules = checked(resolve("active"))
    models = []
    for row in sorted((v for v in registry.list_versions() if v.status != "retired"),
                      key=lambda v: v.status != "active"):
        threshold = operating_thresholds((row.meta or {}).get("operating_point"), rules)["auto_approve_below"]
        item: dict = {"version": row.version, "status": row.status, "threshold": threshold}
        try:
            p = predict_proba(registry.load_version(row, Path(current_app.config["MODEL_DIR"])),
                              window.features).to_numpy()
        except (ArtifactError, ValueError) as exc:
            models.append({**item, "error": str(exc)})
            continue
        flagged = p >= threshold
        models.append({**item, "metrics": metrics(y.astype(int), p, config.max_fpr, config.ece_bins),
                       "pr": pr_curve(p, y), "calibration": calibration(p, y),
                       "operating": (_share(flagged & y, y), _share(flagged & y, flagged)),
                       "per_reason": _per_reason(ids, reasons, flagged, y)})
    return {"window": {"from": cut.isoformat(), "rows": int(len(newer)), "positives": int(y.sum())},
            "models": models}


def _share(part: np.ndarray, whole: np.ndarray) -> float | None:
    return round(float(part.sum()) / float(whole.sum()), 4) if whole.sum() else None


def calibration(p: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict]:
    """Per decile of predicted P(fraud): mean prediction, observed fraud share, proofs."""
    edges = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        inside = edges == b
        if inside.any():
            out.append({"predicted": round(float(p[inside].mean()), 4), "observed": round(float(y[inside].mean()), 4),
                        "count": int(inside.sum())})
    return out


def _reasons(proof_ids: list[str]) -> dict[str, str]:
    """The reason code of each rejected proof's newest rejection."""
    found: dict[str, str] = {}
    for start in range(0, len(proof_ids), 900):
        rows = db.session.execute(sa.select(ReviewDecision.proof_id, ReviewDecision.reason_code)
                                  .where(ReviewDecision.proof_id.in_(proof_ids[start:start + 900]),
                                         ReviewDecision.decision == "rejected")
                                  .order_by(ReviewDecision.decided_at))
        found.update({pid: reason or "unknown" for pid, reason in rows})
    return found


def _per_reason(ids: list[str], reasons: dict[str, str], flagged: np.ndarray, y: np.ndarray) -> list[dict]:
    """Recall of the model alone per fraud reason code (fraud without a stored reason: `unknown`)."""
    codes = np.array([reasons.get(pid, "unknown") for pid in ids], dtype=object)
    out = []
    for code in sorted(set(codes[y].tolist())):
        mine = y & (codes == code)
        out.append({"reason": code, "fraud": int(mine.sum()), "recall": _share(flagged & mine, mine)})
    return sorted(out, key=lambda r: -r["fraud"])


def evaluate() -> EvaluationReport:
    """The scoring area's evaluation of every non-retired model on the newest window (reads only)."""
    return evaluate_versions(Path(current_app.config["MODEL_DIR"]))


def promote(version: str, actor: StaffUser, rollback: bool = False) -> ModelVersion:
    """Make a candidate (or, rolling back, a retired model) active, after checking its artifact loads."""
    row = registry.get_version(version)
    if rollback and row.status != "retired":
        raise ModelChangeError(_("model %(v)s was never active; promote it instead", v=version))
    if not rollback and row.status != "candidate":
        raise ModelChangeError(_("model %(v)s is %(s)s; only a candidate can be promoted", v=version, s=row.status))
    try:
        registry.load_version(row, Path(current_app.config["MODEL_DIR"]))
    except ArtifactError as exc:
        raise ModelChangeError(_("model %(v)s cannot be loaded: %(e)s", v=version, e=str(exc))) from exc
    registry.promote(row, actor=actor, actor_label=actor.email,
                     reason=f"{'rolled back' if rollback else 'promoted'} by {actor.email} in the operators' workbench")
    return row

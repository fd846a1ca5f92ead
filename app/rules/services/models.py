"""The classifier's lifecycle for operators: versions with their metrics, comparison on the newest
labelled window, promotion and rollback. Thin over the scoring area's registry and training services;
the caller commits, then queues the stale-score rescoring (app/rules/jobs.py `after_model_change`)."""
from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from flask import current_app

from app.platform.i18n import _
from app.scoring.services import models_registry as registry
from app.scoring.services.model_training import EvaluationReport, evaluate_versions
from ml.registry import ArtifactError
from models import DomainError, ModelVersion, StaffUser, Task, db

METRICS = ("pr_auc", "roc_auc", "recall_at_fpr", "ece", "brier", "rows", "positives")
TRAIN_TASK_KIND = "train_model"


class ModelChangeError(DomainError):
    status_code = 422


def versions() -> list[ModelVersion]:
    """Every stored model, newest first."""
    return sorted(registry.list_versions(), key=lambda row: row.trained_at, reverse=True)


def training_tasks(limit: int = 10) -> list[Task]:
    return list(db.session.scalars(sa.select(Task).where(Task.kind == TRAIN_TASK_KIND)
                                   .order_by(Task.id.desc()).limit(limit)))


def compare() -> EvaluationReport:
    """Active and candidate models scored on the same newest labelled window (reads only)."""
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

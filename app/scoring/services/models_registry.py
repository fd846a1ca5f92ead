"""Model versions in the database: register candidates, promote one to active, load it safely.

The row records where the artifact is and its sha256; `ml.registry` refuses any file whose hash
differs. A promotion retires the previous active model and writes its audit row in the same
transaction. Services add and flush; the caller commits.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from app.platform.audit import record, serialise
from app.platform.i18n import _
from ml.registry import ArtifactError, ModelBundle, load_cached
from models import DomainError, ModelVersion, StaffUser, db


class ModelVersionError(DomainError):
    status_code = 422


@dataclass
class ActiveModel:
    """The model scoring should use now: a bundle, or why there is none (cold start or degraded)."""

    row: sa.Row | None  # id, version, artifact_path, sha256 of the active version
    bundle: ModelBundle | None
    error: str | None = None

    @property
    def cold_start(self) -> bool:
        return self.row is None

    @property
    def degraded(self) -> bool:
        """An active model exists but cannot be used: rules alone score, and nothing auto-approves."""
        return self.row is not None and self.bundle is None


def active_version() -> ModelVersion | None:
    return db.session.scalar(_newest_active(sa.select(ModelVersion)))


def _newest_active(query: sa.Select) -> sa.Select:
    return query.where(ModelVersion.status == "active").order_by(ModelVersion.id.desc()).limit(1)


# Built once: every proof scored online reads it.
_ACTIVE_ARTIFACT = _newest_active(sa.select(ModelVersion.id, ModelVersion.version, ModelVersion.artifact_path,
                                            ModelVersion.sha256))


def get_version(version: str) -> ModelVersion:
    row = db.session.scalar(sa.select(ModelVersion).where(ModelVersion.version == version))
    if row is None:
        raise ModelVersionError(_("no model version %(v)s", v=version))
    return row


def list_versions() -> list[ModelVersion]:
    return list(db.session.scalars(sa.select(ModelVersion).order_by(ModelVersion.trained_at.desc(),
                                                                    ModelVersion.id.desc())))


def load_version(row: ModelVersion | sa.Row, model_dir: Path) -> ModelBundle:
    """The bundle of a version row, hash-checked and cached per process; ArtifactError if unusable."""
    return load_cached(row.version, Path(row.artifact_path), row.sha256, model_dir)


def load_active(model_dir: Path) -> ActiveModel:
    """The active model, or a cold start (no active row), or degraded (the artifact is unusable).

    Reads only what finds the artifact: the row's metrics and metadata are JSON that scoring one
    proof online would decode on every request for nothing.
    """
    row = db.session.execute(_ACTIVE_ARTIFACT).first()
    if row is None:
        return ActiveModel(row=None, bundle=None)
    try:
        return ActiveModel(row=row, bundle=load_version(row, model_dir))
    except ArtifactError as exc:
        return ActiveModel(row=row, bundle=None, error=str(exc))


def register_candidate(bundle: ModelBundle, artifact_path: Path, sha256: str, metrics: dict) -> ModelVersion:
    """Store a freshly trained model as a candidate."""
    row = ModelVersion(version=bundle.version, status="candidate", artifact_path=str(artifact_path),
                       sha256=sha256, metrics=metrics, meta=bundle.meta)
    db.session.add(row)
    record("model.trained", "model_version", bundle.version, actor_label="training",
           data={"metrics": metrics, "sha256": sha256})
    db.session.flush()
    return row


ANY_ACTIVE = object()  # promote(replacing=...): whichever model is active


def promote(row: ModelVersion, *, actor: StaffUser | None = None, actor_label: str = "training",
            reason: str, comparison: dict | None = None, replacing: object = ANY_ACTIVE) -> ModelVersion | None:
    """Make `row` the active model, retiring every other active one; returns the one it replaced (if any).
    `replacing`: the version (or None) the caller compared `row` with; ModelVersionError when another
    one became active meanwhile (training must not overwrite an operator's promotion or rollback)."""
    serialise(row)  # a promotion committing meanwhile is seen below, not left active beside this one
    if row.status == "active":
        raise ModelVersionError(_("model %(v)s is already active", v=row.version))
    previous = active_version()
    if replacing is not ANY_ACTIVE and (previous.version if previous else None) != replacing:
        raise ModelVersionError(_("model %(now)s became active after model %(v)s was compared with %(then)s",
                                  now=previous.version if previous else "-", v=row.version,
                                  then=replacing or "-"))
    db.session.execute(sa.update(ModelVersion).where(ModelVersion.status == "active", ModelVersion.id != row.id)
                       .values(status="retired").execution_options(synchronize_session="fetch"))
    row.status = "active"
    record("model.promoted", "model_version", row.version, actor=actor, actor_label=actor_label, data={
        "reason": reason, "previous": previous.version if previous else None, "comparison": comparison,
    })
    db.session.flush()
    return previous

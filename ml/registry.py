"""Versioned model artifacts: a joblib file plus a metadata JSON, loaded only after a hash check.

Unpickling runs code, so a file is opened only if it lives in the model directory and its sha256
matches the one recorded when it was trained. Loaded models are cached per process by version.
"""
from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import joblib


class ArtifactError(RuntimeError):
    """A model artifact is missing, outside the model directory, tampered with or unreadable."""


@dataclass
class ModelBundle:
    """Everything needed to score and explain: the estimator and the facts of its training."""

    version: str
    estimator: Any
    feature_names: list[str]
    medians: dict[str, float]
    explain_features: list[str]
    meta: dict = field(default_factory=dict)
    coverage: Any = None  # ml.novelty.SignalCoverage of the labelled training proofs (None: older model)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_artifact(bundle: ModelBundle, model_dir: Path) -> tuple[Path, str]:
    """Write `<version>.joblib` and `<version>.json`; returns the artifact path and its sha256."""
    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_dir / f"{bundle.version}.joblib"
    if path.exists():
        raise ArtifactError(f"{path} already exists; versions are never overwritten")
    joblib.dump(bundle, path, compress=3)
    digest = sha256_file(path)
    meta = {**bundle.meta, "version": bundle.version, "sha256": digest, "artifact": path.name,
            "features": bundle.feature_names}
    (model_dir / f"{bundle.version}.json").write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")
    return path, digest


def load_artifact(path: Path, expected_sha256: str, model_dir: Path) -> ModelBundle:
    """Open an artifact this app wrote: inside `model_dir`, with the recorded hash."""
    path, model_dir = Path(path).resolve(), Path(model_dir).resolve()
    if not path.is_relative_to(model_dir):
        raise ArtifactError(f"{path} is outside the model directory {model_dir}; refusing to load it")
    if not path.is_file():
        raise ArtifactError(f"{path} is missing")
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ArtifactError(f"{path.name}: sha256 {actual[:12]}… does not match the recorded {expected_sha256[:12]}…")
    try:
        bundle = joblib.load(path)
    except Exception as exc:  # noqa: BLE001 - any unpickling failure means the file is unusable
        raise ArtifactError(f"{path.name} cannot be read: {exc}") from exc
    if not isinstance(bundle, ModelBundle):
        raise ArtifactError(f"{path.name} does not hold a model bundle")
    return bundle


_cache: dict[tuple[str, str], ModelBundle] = {}
_cache_lock = threading.Lock()


def load_cached(version: str, path: Path, expected_sha256: str, model_dir: Path) -> ModelBundle:
    """`load_artifact` once per process and version; a new sha256 for a version loads again."""
    key = (version, expected_sha256)
    with _cache_lock:
        bundle = _cache.get(key)
        if bundle is None:
            bundle = load_artifact(path, expected_sha256, model_dir)
            if bundle.version != version:
                raise ArtifactError(f"{Path(path).name} holds version {bundle.version}, expected {version}")
            _cache[key] = bundle
        return bundle


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()

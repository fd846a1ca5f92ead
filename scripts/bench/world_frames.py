"""A simulated world directory as the frames the rules engine reads, without a database.

Each line goes through the app's own parsers (app/intake/services/records) and evidence mapping
(app/intake/services/evidence), so hashes, IP enrichment and device columns are exactly what an import
would store; only the encryption of the raw IP is skipped (scoring never reads it).
The result is cached next to the world as a pickle, so repeated benchmark runs start at once.
"""
from __future__ import annotations

import json
import pickle
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from app.intake.services import evidence, records
from app.platform.pii import PiiVault

BENCH_FERNET_KEY = "kL2nJd5oV8mQ1wX4yZ7aB0cE3fH6iK9lN2pR5sU8vY0="
BENCH_HMAC_KEY = "bench-hmac-key-0123456789abcdef-xyz"
CACHE_NAME = "frames.pickle"


class _NoEncryptVault(PiiVault):
    """The app's keyed hashes; no Fernet encryption (the benches never decrypt)."""

    def encrypt(self, value: str | None) -> str | None:
        return None


def bench_vault() -> PiiVault:
    base = PiiVault.from_keys(BENCH_FERNET_KEY, BENCH_HMAC_KEY)
    return _NoEncryptVault(base.fernet, base.hmac_key)


@dataclass
class WorldFrames:
    proofs: pd.DataFrame  # the engine's PROOF_COLUMNS, minus is_target
    sessions: pd.DataFrame
    decisions: pd.DataFrame  # proof_id, worker_id, decision, decided_at
    labels: pd.DataFrame  # proof_id, is_fraud, pattern, kind, ring


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _times(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    for column in columns:
        frame[column] = pd.to_datetime(frame[column], utc=True, format="ISO8601")
    return frame


def _proofs(directory: Path, vault: PiiVault) -> pd.DataFrame:
    rows = [evidence.proof_columns(records.parse_proof(obj), vault) for obj in _jsonl(directory / "proofs.jsonl")]
    proofs = pd.DataFrame(rows).drop(columns=["ip_enc"]).rename(columns={"id": "proof_id"})
    workers = pd.DataFrame([evidence.worker_columns(records.parse_worker(o), vault)
                            for o in _jsonl(directory / "workers.jsonl")])
    workers = workers.drop(columns=["phone_enc"]).rename(columns={
        "id": "worker_id", "created_at": "worker_created_at", "region": "worker_region",
        "timezone": "worker_timezone", "language": "worker_language", "phone_hash": "worker_phone_hash"})
    campaigns = pd.DataFrame([records.parse_campaign(o, 0.15) for o in _jsonl(directory / "campaigns.jsonl")])
    campaigns = campaigns[["id", "brand_id", "room_id", "action", "min_watch_seconds", "starts_at", "ends_at"]]
    campaigns = campaigns.rename(columns={"id": "campaign_id", "starts_at": "campaign_starts_at",
                                          "ends_at": "campaign_ends_at"})
    proofs = proofs.merge(workers, on="worker_id", how="left").merge(campaigns, on="campaign_id", how="left")
    return _times(proofs, "accepted_at", "started_at", "submitted_at", "worker_created_at",
                  "campaign_starts_at", "campaign_ends_at")


def load_world(directory: Path, use_cache: bool = True) -> WorldFrames:
    """Frames of a world directory (cached in `<dir>/frames.pickle`)."""
    cache = directory / CACHE_NAME
    if use_cache and cache.exists():
        with cache.open("rb") as handle:
            return pickle.load(handle)
    proofs = _proofs(directory, bench_vault())
    sessions = _times(pd.DataFrame(_jsonl(directory / "sessions.jsonl"))[["room_id", "starts_at", "ends_at"]],
                      "starts_at", "ends_at")
    decisions = _times(pd.DataFrame(_jsonl(directory / "decisions.jsonl")), "decided_at")
    decisions = decisions.merge(proofs[["proof_id", "worker_id"]], on="proof_id", how="left")
    decisions = decisions[["proof_id", "worker_id", "decision", "decided_at"]]
    labels = pd.DataFrame(_jsonl(directory / "labels.jsonl"))
    frames = WorldFrames(proofs, sessions, decisions, labels)
    if use_cache:
        with cache.open("wb") as handle:
            pickle.dump(frames, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return frames

"""Proofs in columns: every generator returns a ProofBatch, the writer consumes their union."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

NONE = -1  # marks an absent optional value in integer columns


@dataclass
class ProofBatch:
    """n proofs; optional values absent where the column holds NONE / None / False."""

    campaign: np.ndarray  # campaign index
    worker: np.ndarray  # worker index
    accepted: np.ndarray  # period seconds
    start_delay: np.ndarray  # seconds from accept to start, NONE: no started_at
    submitted: np.ndarray  # period seconds
    ip: np.ndarray  # IPv4 as integer
    device: np.ndarray  # device row, NONE: no device object
    ua: np.ndarray  # user agent id, NONE: no user_agent
    watch: np.ndarray  # watch_seconds, NONE: absent
    comment: list  # comment_text or None
    sha: list  # screenshot_sha256 or None (no screenshot)
    phash: np.ndarray  # screenshot_phash as uint64 (ignored without sha)
    pattern: list  # "honest" or fraud pattern name
    kind: list  # honest sub-kind or fraud variation
    ring: list  # ring name or None

    def __len__(self) -> int:
        return len(self.campaign)

    @staticmethod
    def concat(batches: list[ProofBatch]) -> ProofBatch:
        """One batch holding all proofs of the given batches, in order."""
        merged = {}
        for f in fields(ProofBatch):
            parts = [getattr(b, f.name) for b in batches]
            if isinstance(parts[0], list):
                merged[f.name] = [x for p in parts for x in p]
            else:
                merged[f.name] = np.concatenate(parts)
        return ProofBatch(**merged)

    def take(self, order: np.ndarray) -> ProofBatch:
        """The proofs at positions `order`, in that order."""
        picked = {}
        idx = order.tolist()
        for f in fields(ProofBatch):
            col = getattr(self, f.name)
            picked[f.name] = [col[i] for i in idx] if isinstance(col, list) else col[order]
        return ProofBatch(**picked)


def timing(rng: np.random.Generator, action: np.ndarray, min_watch: np.ndarray,
           accepted: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Human timing of a task: (start_delay, submitted, watch_seconds or NONE)."""
    n = len(action)
    start_delay = np.clip(rng.lognormal(np.log(20), 0.9, n), 2, 900).astype(np.int64)
    # like, comment, watch, follow, share: how long doing the task itself takes
    typical = np.array([25, 60, 0, 12, 40], dtype=float)[action]
    busy = np.clip(rng.lognormal(np.log(np.maximum(typical, 1)), 0.6), 4, 600).astype(np.int64)
    is_watch = action == 2
    extra = (min_watch * rng.exponential(0.25, n)).astype(np.int64) + rng.integers(5, 90, n)
    watch = np.where(is_watch, min_watch + extra, NONE)
    duration = np.where(is_watch, watch + rng.integers(3, 60, n), busy)
    submitted = accepted + start_delay + duration
    return start_delay, submitted, watch

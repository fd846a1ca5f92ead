"""Per-row work done once for a whole history and sliced for each point-in-time chunk.

A backtest evaluates the rules day by day, each day over the proofs before its end: the same
rows are read again and again. What depends on one row alone (integer codes of a column, a parsed
perceptual hash, a cleaned comment, the kind of network) is the same in every chunk, so `RowCache`
computes it once over the full frame and a chunk's ProofFrame takes its rows' slice. Results are
identical to computing them on the chunk: codes are renumbered in the chunk's order of first
appearance, exactly as factorizing the chunk's own values numbers them.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

Build = Callable[[pd.DataFrame], Any]  # full frame -> array (tuple or dict of arrays) with one entry per row


class RowCache:
    """Per-row results over `proofs` (the full, normalised proof frame), computed on first use."""

    def __init__(self, proofs: pd.DataFrame, decisions: pd.DataFrame | None = None):
        self.proofs = proofs
        self.decisions = decisions  # every decision the chunks' decisions are taken from, if known
        self._values: dict[Any, Any] = {}
        self._codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def values(self, key: Any, build: Build) -> Any:
        if key not in self._values:
            self._values[key] = build(self.proofs)
        return self._values[key]

    def raw_codes(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        """(codes of the full column with blank strings kept as values, which codes are blank)."""
        if column not in self._codes:
            codes, uniques = pd.factorize(self.proofs[column].to_numpy(), use_na_sentinel=True)
            blank = np.zeros(len(uniques) + 1, dtype=bool)  # the extra slot answers for code -1
            if uniques.dtype == object or pd.api.types.is_string_dtype(uniques.dtype):
                blank[:-1] = [isinstance(v, str) and (not v or v.isspace()) for v in uniques.tolist()]
            self._codes[column] = (codes.astype(np.int64), blank)
        return self._codes[column]


    def decision_keys(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Per decision: the row of its proof (-1 when not in the frame) and the raw code of its
        account (-1 when not in the frame or blank); None without decisions, or when text ids do not
        name one row each (ids not unique, or not text: then only the signals' own matching is exact)."""
        return self.values("decision_keys", lambda proofs: _decision_keys(proofs, self.decisions, self))


def _decision_keys(proofs: pd.DataFrame, decisions: pd.DataFrame | None,
                   cache: RowCache) -> tuple[np.ndarray, np.ndarray] | None:
    if decisions is None or not all(pd.api.types.infer_dtype(proofs[c], skipna=True) in ("string", "empty")
                                    for c in ("proof_id", "worker_id")):
        return None
    ids = proofs["proof_id"].astype(str)
    if not ids.is_unique:
        return None
    proof_row = pd.Index(ids).get_indexer(decisions["proof_id"].astype(str).to_numpy())
    raw, blank = cache.raw_codes("worker_id")
    by_id = pd.Series(np.where(blank[raw], -1, raw), index=proofs["worker_id"].astype(str).to_numpy())
    by_id = by_id[~by_id.index.duplicated()]
    at = by_id.index.get_indexer(decisions["worker_id"].astype(str).to_numpy())
    worker = np.where(at >= 0, by_id.to_numpy()[np.maximum(at, 0)], -1).astype(np.int64)
    return proof_row.astype(np.int64), worker


class RowSlice:
    """The rows `positions` of a RowCache: what a chunk's ProofFrame reads instead of recomputing."""

    def __init__(self, cache: RowCache, positions: np.ndarray, decision_rows: np.ndarray | None = None):
        self.cache = cache
        self.positions = np.asarray(positions, dtype=np.int64)
        self.decision_rows = decision_rows  # which of the cache's decisions the chunk sees, in order
        # the first rows of the frame, in order (a point-in-time chunk whose history window reaches
        # back to the frame's start)
        self.is_prefix = bool(len(self.positions)) and int(self.positions[0]) == 0 and \
            bool(np.all(np.diff(self.positions) == 1))

    def values(self, key: Any, build: Build) -> Any:
        full = self.cache.values(key, build)
        # a prefix is sliced (and copied: callers own what they get), not gathered row by row
        take = (lambda part: part[:len(self.positions)].copy()) if self.is_prefix else \
            (lambda part: part[self.positions])
        if isinstance(full, tuple):
            return tuple(take(part) for part in full)
        if isinstance(full, dict):
            return {name: take(part) for name, part in full.items()}
        if isinstance(full, pd.Series):
            chosen = full.iloc[:len(self.positions)] if self.is_prefix else full.iloc[self.positions]
            return chosen.reset_index(drop=True)
        return take(full)

    def codes(self, column: str) -> np.ndarray:
        """groups.factorize of the chunk's column: codes by first appearance in the chunk, blanks -1
        (factorizing numbers them before marking them missing, so a blank still takes its number)."""
        full, blank = self.cache.raw_codes(column)
        if self.is_prefix:
            # The full column's codes number values by first appearance, so a prefix holds codes
            # 0..k-1 in that same order: factorizing it again would give them back unchanged.
            mine = full[:len(self.positions)]
            return np.where(blank[mine], -1, mine)
        mine = full[self.positions]
        out = np.full(len(mine), -1, dtype=np.int64)
        present = mine >= 0
        if present.any():
            out[present] = pd.factorize(mine[present])[0]
            out[blank[mine] & present] = -1
        return out

    def decision_keys(self) -> tuple[np.ndarray, np.ndarray] | None:
        """For a prefix view whose decisions are rows of the cache's: each decision's proof row and
        account code as the view numbers them (-1 where not in the view); None otherwise."""
        if not self.is_prefix or self.decision_rows is None:
            return None
        keys = self.cache.decision_keys()
        if keys is None:
            return None
        n = len(self.positions)
        proof_row, worker = keys[0][self.decision_rows], keys[1][self.decision_rows]
        raw, _ = self.cache.raw_codes("worker_id")
        seen = int(raw[:n].max(initial=-1))  # a prefix holds the raw codes 0..seen
        return np.where(proof_row < n, proof_row, -1), np.where(worker <= seen, worker, -1)

"""How far a proof sits outside what the labelled history covers: signal-combination coverage.

A model learns only the fraud in its labels. A proof whose fired signals form a combination the
labelled training proofs (honest or fraud) showed fewer than `k` times gives the trees nothing to
go on: their answer there is an extrapolation, typically "honest" because each signal alone was
mostly honest in the labels (bots on carrier addresses: the timer signal fired in the labels only
next to automation flags). For such proofs the rules' reading stands (review_rules/combine.py).

A signal counts as fired in a combination when its score reaches `fire_at`; fainter readings are
noise that would make every proof unique. The combination is a bit pattern over the signals known
at training; a signal added later is a bit the history never had, so any proof it fires on is novel.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

FIRE_AT = 0.2


@dataclass
class SignalCoverage:
    """Counts of each fired-signal combination among the labelled training proofs."""

    codes: list[str]
    counts: dict[bytes, int] = field(default_factory=dict)
    fire_at: float = FIRE_AT
    rows: int = 0

    @classmethod
    def fit(cls, scores: pd.DataFrame, fire_at: float = FIRE_AT) -> SignalCoverage:
        codes = [str(c) for c in scores.columns]
        keys = _keys(scores.to_numpy(dtype=np.float32, na_value=0.0) >= fire_at)
        values, counts = np.unique(keys, return_counts=True)
        return cls(codes=codes, counts={bytes(v): int(n) for v, n in zip(values, counts, strict=True)},
                   fire_at=fire_at, rows=len(scores))

    def support(self, scores: pd.DataFrame) -> np.ndarray:
        """Per row: how many training proofs fired exactly this combination (0 = never seen).
        A signal unknown at training that fires makes the row's support 0."""
        values = scores.to_numpy(dtype=np.float32, na_value=0.0)
        columns = scores.columns.tolist()
        if columns == self.codes:  # the usual case: no reindexing (one proof online pays every step)
            known, extra = values >= self.fire_at, np.zeros(len(values), dtype=bool)
        else:
            position = {c: i for i, c in enumerate(columns)}
            known = np.zeros((len(values), len(self.codes)), dtype=bool)
            for j, code in enumerate(self.codes):
                if code in position:
                    known[:, j] = values[:, position[code]] >= self.fire_at
            new = [position[c] for c in columns if c not in set(self.codes)]
            extra = (values[:, new] >= self.fire_at).any(axis=1) if new else np.zeros(len(values), dtype=bool)
        keys = _keys(known)
        if keys.dtype.itemsize == 8:  # up to 64 signals: one integer per row, looked up by binary search
            table, counts = self._table()
            as_int = keys.view(np.uint64)
            at = np.minimum(np.searchsorted(table, as_int), max(len(table) - 1, 0))
            found = (table[at] == as_int) if len(table) else np.zeros(len(keys), dtype=bool)
            result = np.where(found, counts[at] if len(table) else 0, 0).astype(np.int64)
        else:
            result = np.fromiter((self.counts.get(bytes(k), 0) for k in keys), dtype=np.int64, count=len(keys))
        result[extra] = 0
        return result

    def _table(self) -> tuple[np.ndarray, np.ndarray]:
        """The 8-byte keys as sorted integers with their counts (built once per loaded model)."""
        table = getattr(self, "_sorted", None)
        if table is None:
            keys = np.frombuffer(b"".join(self.counts), dtype=np.uint64) if self.counts else np.zeros(0, np.uint64)
            values = np.fromiter(self.counts.values(), dtype=np.int64, count=len(self.counts))
            order = np.argsort(keys)
            table = self._sorted = (keys[order], values[order])
        return table

    def summary(self) -> dict:
        """What is worth keeping in the model's JSON metadata (the bit patterns are not)."""
        return {"method": "signal-combination coverage", "fire_at": self.fire_at, "training_rows": self.rows,
                "combinations": len(self.counts), "signals": len(self.codes)}


def _keys(fired: np.ndarray) -> np.ndarray:
    """One fixed-width byte string per row: the packed bits of its fired signals."""
    packed = np.packbits(fired.astype(bool), axis=1)
    width = max(8, -(-packed.shape[1] // 8) * 8)  # whole 8-byte words: up to 64 signals make one integer
    if packed.shape[1] < width:
        packed = np.hstack([packed, np.zeros((len(fired), width - packed.shape[1]), dtype=np.uint8)])
    return np.ascontiguousarray(packed).view(f"V{packed.shape[1]}").ravel()


def novel_mask(coverage: SignalCoverage | None, scores: pd.DataFrame, rule_score: np.ndarray,
               novelty: dict | None) -> np.ndarray:
    """True where the novelty floor applies: support below `min_support` and the rules would
    send the proof to a person (`rule_score`, the reading the floor lets stand, at least
    `min_rule_score`). All False without a setting."""
    if coverage is None or not novelty or novelty.get("min_support", 0) <= 0:
        return np.zeros(len(rule_score), dtype=bool)
    support = coverage.support(scores)
    return (support < novelty["min_support"]) & (rule_score >= novelty["min_rule_score"])

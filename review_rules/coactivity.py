"""Co-activity pairs kept up to date while a point-in-time backtest's view grows chunk by chunk.

`linkage.co_activity` pairs the accounts of every (campaign, time cell) crowd of a context. A
backtest evaluates a growing prefix of the time-sorted history each chunk (when its history window
reaches back to the start), and pairing every crowd again each chunk made the lockstep signal the
largest cost of a backtest. A crowd changes only when the chunk adds rows to it, so the ledger here
keeps what each crowd contributes and, per chunk, takes back the old contribution of the crowds that
got new rows and adds their new one:
- triples: distinct (account a < account b, campaign) co-activities, each with the number of crowds
  (over both grids) that hold it;
- pairs: per (a, b), the number of campaigns with a triple present: `shared` of linkage.co_activity.
Crowd rules are linkage's: one entry per (crowd, account), crowds of 2..max_group accounts.
Codes are the whole frame's (review_rules.rows): a prefix's codes are the same numbers.
Pure numpy: codes in, arrays out.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from review_rules.groups import later_pairs

_EMPTY = np.zeros(0, dtype=np.int64)


def _crowd_triples(crowd: np.ndarray, worker: np.ndarray, campaign: np.ndarray, max_group: int,
                   n_workers: int, n_campaigns: int) -> np.ndarray:
    """One triple code per (pair, crowd) of the given rows (crowd and worker known)."""
    if not len(crowd):
        return _EMPTY
    span = int(worker.max()) + 1
    entry = np.unique(crowd * span + worker, return_index=True)[1]  # one row per (crowd, account)
    order = entry[np.argsort(crowd[entry], kind="stable")]
    g, w, c = crowd[order], worker[order], campaign[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    size = np.repeat(np.diff(np.r_[starts, len(g)]), np.diff(np.r_[starts, len(g)]))
    keep = (size >= 2) & (size <= max_group)
    g, w, c = g[keep], w[keep], c[keep]
    left, right = later_pairs(g)
    a, b = np.minimum(w[left], w[right]), np.maximum(w[left], w[right])
    return (a * n_workers + b) * n_campaigns + c[left]


def _ranges(first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """first[0]..last[0]-1, first[1]..last[1]-1, ... as one array."""
    lengths = last - first
    return np.arange(int(lengths.sum())) - np.repeat(np.cumsum(lengths) - lengths, lengths) + \
        np.repeat(first, lengths)


def _apply(keys: np.ndarray, counts: np.ndarray, add: np.ndarray,
           remove: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Add one count per code of `add`, take one per code of `remove` (sorted `keys` with `counts`);
    returns (keys, counts, codes that became present, codes that became absent)."""
    if not len(add) and not len(remove):
        return keys, counts, _EMPTY, _EMPTY
    codes, inverse = np.unique(np.concatenate([add, remove]), return_inverse=True)
    delta = np.bincount(inverse, weights=np.r_[np.ones(len(add)), -np.ones(len(remove))],
                        minlength=len(codes)).astype(np.int64)
    changed = delta != 0
    codes, delta = codes[changed], delta[changed]
    at = np.searchsorted(keys, codes)
    found = at < len(keys)
    found[found] = keys[at[found]] == codes[found]
    before = np.zeros(len(codes), dtype=np.int64)
    before[found] = counts[at[found]]
    after = before + delta
    if np.any(after < 0):
        raise ValueError("co-activity ledger: a crowd's contribution was taken back twice")
    counts = counts.copy()
    counts[at[found]] = after[found]
    fresh = ~found
    keys = np.insert(keys, at[fresh], codes[fresh])
    counts = np.insert(counts, at[fresh], after[fresh])
    return keys, counts, codes[(before == 0) & (after > 0)], codes[(before > 0) & (after == 0)]


class PairLedger:
    """Co-activity over the first `seen` rows of a frame (see the module docstring).

    crowds: per grid, each row's crowd code over the whole frame (-1: none); worker, campaign: the
    whole frame's codes (-1 missing)."""

    def __init__(self, crowds: list[np.ndarray], worker: np.ndarray, campaign: np.ndarray, max_group: int):
        self.worker = np.asarray(worker, dtype=np.int64)
        self.campaign = np.asarray(campaign, dtype=np.int64)
        self.max_group = max_group
        self.n_workers = int(self.worker.max(initial=-1)) + 1
        self.n_campaigns = int(self.campaign.max(initial=-1)) + 1
        self.crowds = []
        for crowd in crowds:
            crowd = np.where(self.worker >= 0, np.asarray(crowd, dtype=np.int64), -1)
            crowd = np.where(crowd >= 0, pd.factorize(crowd)[0], -1)  # dense: crowd * accounts stays small
            order = np.argsort(crowd, kind="stable")  # a crowd's rows together, in frame order
            self.crowds.append((crowd, order, crowd[order]))
        self._reset()

    def _reset(self) -> None:
        self.seen = 0
        self.triples, self.triple_counts = _EMPTY, _EMPTY
        self.pairs, self.shared = _EMPTY, _EMPTY

    def advance(self, upto: int) -> None:
        """Make the ledger describe the first `upto` rows (a shorter view starts again from nothing)."""
        if upto < self.seen:
            self._reset()
        if upto == self.seen:
            return
        added, removed = [], []
        for crowd, order, ordered in self.crowds:
            touched = np.unique(crowd[self.seen:upto])
            touched = touched[touched >= 0]
            if not len(touched):
                continue
            first, last = np.searchsorted(ordered, touched, "left"), np.searchsorted(ordered, touched, "right")
            rows = order[_ranges(first, last)]
            for bound, out in ((self.seen, removed), (upto, added)):
                mine = rows[rows < bound]
                out.append(_crowd_triples(crowd[mine], self.worker[mine], self.campaign[mine], self.max_group,
                                          self.n_workers, self.n_campaigns))
        self.seen = upto
        if not added:
            return
        self.triples, self.triple_counts, present, absent = _apply(
            self.triples, self.triple_counts, np.concatenate(added), np.concatenate(removed))
        self.pairs, self.shared, _, _ = _apply(self.pairs, self.shared, present // self.n_campaigns,
                                               absent // self.n_campaigns)

    def table(self, min_shared: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(a, b, shared campaigns) of every pair present that shares at least `min_shared` campaigns
        (a < b, worker codes): a backtest's view holds millions of pairs that meet once."""
        present = self.shared >= max(min_shared, 1)
        pairs = self.pairs[present]
        return pairs // self.n_workers, pairs % self.n_workers, self.shared[present]

"""The co-activity ledger a backtest keeps across growing prefixes gives the pairs and counts that
pairing each prefix from scratch gives."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from review_rules.context import ScoringContext, normalise
from review_rules.frame import ProofFrame
from review_rules.groups import bucket, dense
from review_rules.linkage import co_activity, crowd_pairs
from review_rules.rows import RowCache, RowSlice
from tests.review_rules.frames import T0, context, proof


def _history(seed: int) -> ScoringContext:
    """A few accounts on a few campaigns over a day; some accepted long before they were submitted,
    so a crowd of an early time cell still grows in a later chunk."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(int(rng.integers(20, 120))):
        at = T0 + pd.Timedelta(minutes=int(rng.integers(0, 24 * 60)))
        row = proof(i, worker_id=f"w{rng.integers(0, 10)}", campaign_id=f"c{rng.integers(0, 4)}", at=at)
        if rng.random() < 0.2:
            row["submitted_at"] = at + pd.Timedelta(hours=int(rng.integers(1, 12)))
        if rng.random() < 0.05:
            row["worker_id"] = None
        rows.append(row)
    found = normalise(context(rows))
    proofs = found.proofs.sort_values("submitted_at", kind="stable").reset_index(drop=True)
    return ScoringContext(proofs, found.sessions, found.decisions, found.now)


def _pairs(table: pd.DataFrame) -> list[tuple[int, int, int]]:
    return sorted(map(tuple, table[["a", "b", "shared"]].to_numpy().tolist()))


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("window, crowd", [(600.0, 100), (3600.0, 3)])
def test_the_ledger_follows_growing_and_shrinking_prefixes(seed, window, crowd):
    history = _history(seed)
    n = len(history.proofs)
    cache = RowCache(history.proofs)
    rng = np.random.default_rng(seed)
    prefixes = sorted(rng.integers(1, n + 1, 5).tolist()) + [n, int(rng.integers(1, n + 1)), n]
    for upto in prefixes:  # growing, then one shorter view, then everything again
        view = ScoringContext(history.proofs.iloc[:upto], history.sessions, history.decisions, history.now)
        kept = co_activity(ProofFrame(view, RowSlice(cache, np.arange(upto))), window, crowd)
        fresh = co_activity(ProofFrame(view), window, crowd)
        assert _pairs(kept) == _pairs(fresh)
    assert len(fresh) > 0


@pytest.mark.parametrize("seed", range(4))
def test_with_a_minimum_the_ledger_lists_exactly_the_pairs_that_reach_it(seed):
    """Below the minimum a pair may be missing (pair_counts prunes, the ledger filters); at or above it
    both list it with the same count."""
    history = _history(seed)
    cache = RowCache(history.proofs)
    n = len(history.proofs)
    for upto in (n // 2, n):
        view = ScoringContext(history.proofs.iloc[:upto], history.sessions, history.decisions, history.now)
        kept = _pairs(co_activity(ProofFrame(view, RowSlice(cache, np.arange(upto))), 3600.0, 100, 2))
        every = _pairs(co_activity(ProofFrame(view), 3600.0, 100))
        assert kept == [p for p in every if p[2] >= 2]
    assert kept and len(kept) < len(every)


def test_a_crowd_that_outgrows_the_limit_drops_its_pairs():
    rows = [proof(i, worker_id=f"w{i}", campaign_id="c1", at=T0 + pd.Timedelta(minutes=i)) for i in range(4)]
    history = normalise(context(rows))
    cache = RowCache(history.proofs)
    seen = []
    for upto in (2, 3, 4):
        view = ScoringContext(history.proofs.iloc[:upto], history.sessions, history.decisions, history.now)
        seen.append(len(co_activity(ProofFrame(view, RowSlice(cache, np.arange(upto))), 600.0, 3)))
    assert seen == [1, 3, 0]  # one pair, three pairs, then a crowd of four: more than 3, not paired


def _created_crowds(campaign: np.ndarray, t: np.ndarray, created: np.ndarray) -> list[np.ndarray]:
    """account.created_together's crowds: a campaign's hour and the accounts' creation day, on two grids each."""
    return [dense(campaign, bucket(t, 3600.0, act), bucket(created, 86400.0, born))
            for act in (0.0, 1800.0) for born in (0.0, 43200.0)]


@pytest.mark.parametrize("seed", range(6))
def test_any_crowds_follow_the_prefixes(seed):
    history = _history(seed)
    rng = np.random.default_rng(seed)
    created = T0 - pd.to_timedelta(rng.integers(0, 4 * 86400, len(history.proofs)), unit="s")
    history = ScoringContext(history.proofs.assign(worker_created_at=created), history.sessions, history.decisions,
                             history.now)
    n = len(history.proofs)
    cache = RowCache(history.proofs)
    for upto in sorted(rng.integers(1, n + 1, 4).tolist()) + [n]:
        view = ScoringContext(history.proofs.iloc[:upto], history.sessions, history.decisions, history.now)
        kept = crowd_pairs(ProofFrame(view, RowSlice(cache, np.arange(upto))), ("test",), _created_crowds, 5)
        fresh = crowd_pairs(ProofFrame(view), ("test",), _created_crowds, 5)
        assert _pairs(kept) == _pairs(fresh)

"""Pairing with a minimum of shared campaigns drops only pairs that could not reach it."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from review_rules.frame import ProofFrame
from review_rules.linkage import co_activity, pair_counts
from tests.review_rules.frames import T0, context, proof


def _crowded_frame(seed: int) -> ProofFrame:
    """Few accounts on few campaigns within a few hours: many co-active pairs, some of them strong."""
    rng = np.random.default_rng(seed)
    rows = [proof(i, worker_id=f"w{rng.integers(0, 12)}", campaign_id=f"c{rng.integers(0, 6)}",
                  at=T0 + pd.Timedelta(minutes=int(rng.integers(0, 240))))
            for i in range(int(rng.integers(5, 90)))]
    return ProofFrame(context(rows))


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("min_shared", [2, 3, 4])
def test_pairs_reaching_the_minimum_are_the_same_in_the_same_order(seed, min_shared):
    frame = _crowded_frame(seed)
    for window, crowd in ((600.0, 100), (3600.0, 4)):
        every = co_activity(frame, window, crowd)
        pruned = co_activity(frame, window, crowd, min_shared)
        strong = every[every["shared"] >= min_shared].reset_index(drop=True)
        pd.testing.assert_frame_equal(pruned[pruned["shared"] >= min_shared].reset_index(drop=True), strong)
        assert len(pruned) <= len(every)


def test_pruning_drops_accounts_that_meet_on_too_few_campaigns():
    # w1 and w2 meet on c1 and c2; w3 joins them on c1 only
    rows = [proof(i, worker_id=w, campaign_id=c, at=T0 + pd.Timedelta(minutes=i))
            for i, (w, c) in enumerate([("w1", "c1"), ("w2", "c1"), ("w3", "c1"), ("w1", "c2"), ("w2", "c2")])]
    frame = ProofFrame(context(rows))
    groups = [frame.codes("campaign_id")]
    names = {code: name for code, name in zip(frame.worker.tolist(), frame.worker_ids.tolist(), strict=True)}

    def named(pairs: pd.DataFrame) -> set:
        return {(names[a], names[b], n) for a, b, n in pairs.itertuples(index=False)}
    assert named(pair_counts(frame, groups, 100)) == {("w1", "w2", 2), ("w1", "w3", 1), ("w2", "w3", 1)}
    assert named(pair_counts(frame, groups, 100, min_shared=2)) == {("w1", "w2", 2)}

"""A chunk's codes taken from the whole frame's row cache equal factorizing the chunk's own values."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from review_rules.groups import factorize
from review_rules.rows import RowCache, RowSlice


def _column(rng: np.random.Generator, n: int) -> np.ndarray:
    pool = np.array(["a", "b", "", "  ", None, "c", "d", "e", np.nan], dtype=object)
    return pool[rng.integers(0, len(pool), n)]


@pytest.mark.parametrize("seed", range(8))
def test_codes_of_prefixes_and_windows_equal_factorizing_the_chunk(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    frame = pd.DataFrame({"key": _column(rng, n), "number": rng.integers(0, 4, n).astype(object)})
    cache = RowCache(frame)
    low = int(rng.integers(0, n))
    high = int(rng.integers(low, n)) + 1
    chunks = [np.arange(high), np.arange(low, high), np.sort(rng.choice(n, size=high - low, replace=False))]
    for positions in chunks:
        rows = RowSlice(cache, positions)
        assert rows.is_prefix == (len(positions) > 0 and positions[0] == 0 and np.all(np.diff(positions) == 1))
        for column in ("key", "number"):
            expected = factorize(frame[column].iloc[positions].reset_index(drop=True))
            np.testing.assert_array_equal(rows.codes(column), expected)


def test_a_prefix_with_blank_and_missing_values_keeps_them_missing():
    frame = pd.DataFrame({"key": np.array([" ", "x", None, "y", "x", ""], dtype=object)})
    rows = RowSlice(RowCache(frame), np.arange(5))
    assert rows.is_prefix
    assert rows.codes("key").tolist() == [-1, 1, -1, 2, 1]


def test_decision_keys_of_a_prefix_name_rows_and_accounts_the_prefix_has():
    proofs = pd.DataFrame({"proof_id": ["p1", "p2", "p3", "p4"], "worker_id": ["wa", " ", "wb", "wc"]})
    decisions = pd.DataFrame({"proof_id": ["p3", "p1", "p9", "p4"], "worker_id": ["wb", "wa", "wz", "wc"]})
    cache = RowCache(proofs, decisions)
    rows, workers = RowSlice(cache, np.arange(3), decision_rows=np.array([0, 1, 2])).decision_keys()
    assert rows.tolist() == [2, 0, -1]  # p9 is no proof of the frame
    assert workers.tolist() == [2, 0, -1]  # codes as the prefix numbers them (the blank " " took 1)
    rows, workers = RowSlice(cache, np.arange(2), decision_rows=np.array([0, 3])).decision_keys()
    assert rows.tolist() == [-1, -1] and workers.tolist() == [-1, -1]  # p3, p4 and wb, wc come later
    assert RowSlice(cache, np.array([1, 2]), decision_rows=np.array([0])).decision_keys() is None  # not a prefix
    assert RowSlice(RowCache(proofs), np.arange(3), decision_rows=np.array([0])).decision_keys() is None


def test_decision_keys_need_one_row_per_text_id():
    proofs = pd.DataFrame({"proof_id": ["p1", "p1"], "worker_id": ["wa", "wb"]})
    decisions = pd.DataFrame({"proof_id": ["p1"], "worker_id": ["wa"]})
    assert RowSlice(RowCache(proofs, decisions), np.arange(2), decision_rows=np.array([0])).decision_keys() is None
    numbers = pd.DataFrame({"proof_id": [1, 2], "worker_id": ["wa", "wb"]})
    assert RowSlice(RowCache(numbers, decisions), np.arange(2), decision_rows=np.array([0])).decision_keys() is None

"""Group arithmetic (review_rules/groups.py) against a plain-Python reference."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from review_rules import groups


def reference_dense(*parts: list[int]) -> list[int]:
    """Rank of each row's combination among the distinct complete combinations; -1 if any part is missing."""
    rows = list(zip(*parts, strict=True))
    ranks = {combo: rank for rank, combo in enumerate(sorted({r for r in rows if min(r) >= 0}))}
    return [ranks[r] if min(r) >= 0 else -1 for r in rows]


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=4).flatmap(
    lambda n: st.integers(min_value=1, max_value=40).flatmap(
        lambda size: st.lists(st.lists(st.integers(min_value=-1, max_value=6), min_size=size, max_size=size),
                              min_size=n, max_size=n))))
def test_dense_numbers_each_complete_combination_in_sorted_order(parts):
    arrays = [np.array(p, dtype=np.int64) for p in parts]
    assert groups.dense(*arrays).tolist() == reference_dense(*parts)


def test_dense_keeps_huge_codes_exact():
    """Codes whose combined key would overflow int64 (2**40 * 2**40) still group exactly."""
    rng = np.random.default_rng(4)
    base = rng.integers(0, 2**40, size=6)
    parts = [base[rng.integers(0, 6, size=300)] for _ in range(3)]
    parts[1][::7] = -1
    assert groups.dense(*parts).tolist() == reference_dense(*(p.tolist() for p in parts))


@pytest.mark.parametrize("values", [
    pd.Series(["a", "", "  ", None, "b", "a", float("nan")], dtype=object),
    pd.Series(["a", "", " \t", None, "b", "a"], dtype="str"),
    pd.Series([3, None, 3, 7], dtype=object),
])
def test_factorize_treats_blank_strings_like_missing(values):
    codes = groups.factorize(values)
    blank = [v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip())
             for v in values.astype(object).tolist()]
    assert ((codes == -1) == np.array(blank)).all()
    present = [v for v, b in zip(values.astype(object).tolist(), blank, strict=True) if not b]
    kept = codes[codes >= 0]
    assert len(set(kept.tolist())) == len(set(present))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=-1, max_value=4),
                          st.one_of(st.floats(min_value=-50, max_value=50), st.just(float("nan")))),
                min_size=1, max_size=40))
def test_group_median_matches_pandas(rows):
    key = np.array([k for k, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows], dtype=float)
    expected = pd.Series(values).groupby(key).transform("median").to_numpy()
    np.testing.assert_allclose(groups.group_median(key, values), expected, equal_nan=True)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(min_value=0, max_value=3), st.floats(min_value=-1e9, max_value=1e9)),
                min_size=1, max_size=40))
def test_running_max_by_restarts_at_every_key(rows):
    rows = sorted(rows, key=lambda r: r[0])  # the function expects rows sorted by key
    key = np.array([k for k, _ in rows], dtype=np.int64)
    values = np.array([v for _, v in rows], dtype=float)
    expected = pd.Series(values).groupby(key).cummax().to_numpy()
    assert groups.running_max_by(key, values).tolist() == expected.tolist()

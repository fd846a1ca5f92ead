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

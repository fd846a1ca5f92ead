"""Vectorised group arithmetic over integer codes: the building blocks every signal uses.

Codes are int64 arrays with -1 for a missing value. Windows are fixed grids of `window`
seconds; each windowed count is taken on two grids offset by half a window and the larger is
kept, so a burst that straddles a grid line is still seen whole.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

MISSING = -1
_KEY_LIMIT = 2**62
SMALL = 20_000  # below this, sorting (numpy) beats hashing (pandas) once call overhead counts


def _dense_codes(values: np.ndarray) -> np.ndarray:
    """Dense codes 0..k-1 of an int64 array, in the order of the values."""
    if len(values) >= SMALL:
        return pd.factorize(values)[0].astype(np.int64)
    # np.unique(return_inverse=True) does this with more checks than a small array has values
    order = np.argsort(values, kind="stable")
    codes = np.empty(len(values), dtype=np.int64)
    codes[order] = np.cumsum(_starts(values[order])) - 1
    return codes


def _unique(values: np.ndarray) -> np.ndarray:
    if len(values) >= SMALL:
        return pd.unique(values)
    ordered = np.sort(values)
    return ordered[_starts(ordered)]


def _starts(ordered: np.ndarray) -> np.ndarray:
    """True where a sorted array's value differs from the one before it (and at the first)."""
    fresh = np.empty(len(ordered), dtype=bool)
    fresh[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=fresh[1:])
    return fresh


def factorize(values: pd.Series | np.ndarray) -> np.ndarray:
    """Int64 codes of any column; None, NaN and blank strings become -1."""
    # On the bare array: factorizing a Series costs twice as much per call, and online one proof's
    # context is small enough for that overhead to dominate.
    array = values.to_numpy() if isinstance(values, pd.Series) else values
    codes, uniques = pd.factorize(array, use_na_sentinel=True)
    codes = codes.astype(np.int64)
    if uniques.dtype == object or pd.api.types.is_string_dtype(uniques.dtype):
        blank = [i for i, v in enumerate(uniques.tolist()) if isinstance(v, str) and (not v or v.isspace())]
        if blank:
            codes[np.isin(codes, blank)] = MISSING
    return codes


def dense(*codes: np.ndarray) -> np.ndarray:
    """One dense code per distinct combination of the given codes; -1 where any part is missing."""
    key = np.asarray(codes[0], dtype=np.int64)
    missing = key < 0
    for part in codes[1:]:
        part = np.asarray(part, dtype=np.int64)
        missing = missing | (part < 0)
        span = int(part.max(initial=0)) + 2
        if int(key.max(initial=0)) + 1 > _KEY_LIMIT // span:
            key = _dense_codes(key)  # keep the product below 2**62 for the multiplication
        key = key * span + (part + 1)
    if not missing.any():
        return _dense_codes(key)
    out = np.full(len(key), MISSING, dtype=np.int64)
    out[~missing] = _dense_codes(key[~missing])
    return out


def bucket(t: np.ndarray, window: float, offset: float = 0.0) -> np.ndarray:
    """Grid cell of each time (seconds); -1 where the time is missing."""
    cells = np.floor((t + offset) / window)
    return np.where(np.isnan(cells), -1, cells).astype(np.int64)


def size_by(key: np.ndarray) -> np.ndarray:
    """Rows in each row's group (0 where the key is missing)."""
    key = np.asarray(key, dtype=np.int64)
    valid = key >= 0
    counts = np.bincount(key[valid], minlength=int(key.max(initial=-1)) + 1)
    return np.where(valid, counts[np.maximum(key, 0)] if len(counts) else 0, 0)


def nunique_by(key: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Distinct non-missing values in each row's group (0 where the key is missing)."""
    key, value = np.asarray(key, dtype=np.int64), np.asarray(value, dtype=np.int64)
    valid = (key >= 0) & (value >= 0)
    if not valid.any():
        return np.zeros(len(key), dtype=np.int64)
    span = int(value.max()) + 1
    pairs = _unique(key[valid] * span + value[valid])
    counts = np.bincount(pairs // span, minlength=int(key.max()) + 1)
    return np.where(key >= 0, counts[np.maximum(key, 0)], 0)


def windowed(key: np.ndarray, t: np.ndarray, window: float) -> tuple[np.ndarray, np.ndarray]:
    """The row's (key, cell) group on the two offset grids."""
    return dense(key, bucket(t, window)), dense(key, bucket(t, window, window / 2))


def windowed_nunique(key: np.ndarray, value: np.ndarray, t: np.ndarray, window: float) -> np.ndarray:
    """Distinct values sharing the row's key within `window` seconds of it (grid approximation)."""
    return windowed_groups(key, value, t, window)[0]


def windowed_groups(key: np.ndarray, value: np.ndarray, t: np.ndarray,
                    window: float) -> tuple[np.ndarray, np.ndarray]:
    """(distinct values, group id) of each row's fuller grid cell; group ids are unique across grids."""
    first, second = windowed(key, t, window)
    count_first, count_second = nunique_by(first, value), nunique_by(second, value)
    offset = int(first.max(initial=-1)) + 1
    use_first = count_first >= count_second
    group = np.where(use_first, first, np.where(second >= 0, second + offset, -1))
    return np.maximum(count_first, count_second), group


def windowed_size(key: np.ndarray, t: np.ndarray, window: float) -> np.ndarray:
    """Rows sharing the row's key within `window` seconds of it (grid approximation)."""
    first, second = windowed(key, t, window)
    return np.maximum(size_by(first), size_by(second))


def later_pairs(sorted_groups: np.ndarray, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (i, j), i < j, of positions in the same run of a sorted group array, without a
    Python loop; with `limit`, only partners at most `limit` positions later."""
    n = len(sorted_groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_groups[1:] != sorted_groups[:-1]])
    ends = np.r_[starts[1:], n]
    run_end = np.repeat(ends, ends - starts)
    later = run_end - np.arange(n) - 1  # partners after each position in its run
    if limit is not None:
        later = np.minimum(later, limit)
    left = np.repeat(np.arange(n), later)
    step = np.arange(len(left)) - np.repeat(np.cumsum(later) - later, later) + 1
    return left, left + step


def group_median(key: np.ndarray, values: np.ndarray) -> np.ndarray:
    """The median of `values` over each row's group (NaN values are left out; NaN for a group of none)."""
    key, values = np.asarray(key, dtype=np.int64), np.asarray(values, dtype=float)
    out = np.full(len(key), np.nan)
    known = np.flatnonzero(~np.isnan(values))
    if not len(known):
        return out
    order = known[np.lexsort((values[known], key[known]))]
    groups = key[order]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    counts = np.diff(np.r_[starts, len(order)])
    ordered = values[order]
    medians = (ordered[starts + (counts - 1) // 2] + ordered[starts + counts // 2]) / 2
    at = np.searchsorted(groups[starts], key)
    found = (at < len(starts)) & (groups[starts][np.minimum(at, len(starts) - 1)] == key)
    out[found] = medians[at[found]]
    return out


def running_max_by(key: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Running maximum of `values` within runs of equal `key` (rows already sorted by key)."""
    out = np.asarray(values, dtype=float).copy()
    for i in range(1, len(out)):  # sessions of a context: a handful, or a few thousand in a full batch
        if key[i] == key[i - 1] and out[i - 1] > out[i]:
            out[i] = out[i - 1]
    return out


def ramp(x: np.ndarray, low: float, high: float) -> np.ndarray:
    """0 at or below `low`, 1 at or above `high`, linear between; NaN counts as 0."""
    out = (np.asarray(x, dtype=float) - low) / (high - low)
    out[np.isnan(out)] = 0.0
    return np.clip(out, 0.0, 1.0, out=out)


def examples(key: np.ndarray, labels: np.ndarray, rows: np.ndarray, limit: int = 5) -> list[str]:
    """For each row in `rows`, up to `limit` distinct labels of its group, sorted: "a, b, c, …"."""
    return listing(key, labels, key[rows], limit)


def listing(key: np.ndarray, labels: np.ndarray, wanted: np.ndarray, limit: int = 5) -> list[str]:
    """For each key in `wanted`, up to `limit` distinct labels of the entries with that key."""
    mask = np.isin(key, wanted[wanted >= 0]) & pd.notna(labels)
    group, label = key[mask], labels[mask].astype(str)
    order = np.lexsort((label, group))
    group, label = group[order], label[order]
    fresh = np.ones(len(group), dtype=bool)
    fresh[1:] = (group[1:] != group[:-1]) | (label[1:] != label[:-1])
    group, label = group[fresh], label[fresh]
    bounds = np.flatnonzero(np.r_[True, group[1:] != group[:-1], True]) if len(group) else np.zeros(1, dtype=int)
    text = {int(group[start]): ", ".join(label[start:min(end, start + limit)]) + (", …" if end - start > limit else "")
            for start, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True)}
    return [text.get(k, "") for k in wanted.tolist()]

"""Near-identical screenshots: perceptual hashes (64 bits) within a small Hamming distance.

Pigeonhole bands: split the 64 bits into d + 1 bands; two hashes at distance <= d agree
exactly on at least one band. Within each band's buckets (sorted by the full hash), every hash
is compared with its next `neighbours` hashes, so the work stays linear in the number of
screenshots even when one bucket is crowded.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

# the value of each ASCII character as a hex digit; 16 where it is not one
_NIBBLE = np.full(128, 16, dtype=np.uint8)
for _digit in "0123456789abcdefABCDEF":
    _NIBBLE[ord(_digit)] = int(_digit, 16)


def parse_phash(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(uint64 hash, valid) per row; anything but 16 hex digits (around white space) is invalid.

    Per value only a strip and a length check in plain Python (a regular expression per value took
    1.7 s of a million-row backtest; pandas' string methods cost more per call than a small context
    has values); the digits of every candidate are then checked and read at once as a byte matrix."""
    missing = values.isna().to_numpy()
    stripped = [None if gone else str(v).strip() for v, gone in zip(values.tolist(), missing, strict=True)]
    candidate = np.fromiter((s is not None and len(s) == 16 and s.isascii() for s in stripped), dtype=bool,
                            count=len(stripped))
    out = np.zeros(len(stripped), dtype=np.uint64)
    valid = np.zeros(len(stripped), dtype=bool)
    if candidate.any():
        text = "".join(s for s, ok in zip(stripped, candidate.tolist(), strict=True) if ok)
        nibbles = _NIBBLE[np.frombuffer(text.encode("ascii"), dtype=np.uint8).reshape(-1, 16)]
        digits = (nibbles < 16).all(axis=1)
        rows = np.flatnonzero(candidate)[digits]
        valid[rows] = True
        # two digits a byte, the first digit high: the eight bytes of a big-endian 64-bit number
        packed = (nibbles[digits, 0::2] << 4) | nibbles[digits, 1::2]
        out[rows] = packed.view(">u8").ravel()
    return out, valid


def _bands(max_distance: int) -> list[tuple[int, int]]:
    """(shift, width) of max_distance + 1 bands covering 64 bits."""
    count = max_distance + 1
    widths = [64 // count + (1 if i < 64 % count else 0) for i in range(count)]
    shifts = np.concatenate(([0], np.cumsum(widths)[:-1])).tolist()
    return list(zip(shifts, widths, strict=True))


def _close_pairs(values: np.ndarray, max_distance: int, neighbours: int) -> tuple[np.ndarray, np.ndarray]:
    left, right = [], []
    for shift, width in _bands(max_distance):
        band = (values >> np.uint64(shift)) & np.uint64((1 << width) - 1)
        order = np.lexsort((values, band))
        band_sorted, value_sorted = band[order], values[order]
        for k in range(1, neighbours + 1):  # offset by offset: crowded buckets stop early
            i = np.flatnonzero(band_sorted[k:] == band_sorted[:-k])
            if not len(i):
                break
            close = np.bitwise_count(value_sorted[i] ^ value_sorted[i + k]) <= max_distance
            left.append(order[i[close]])
            right.append(order[i[close] + k])
    if not left:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(left), np.concatenate(right)


def phash_clusters(values: pd.Series | tuple[np.ndarray, np.ndarray], max_distance: int,
                   neighbours: int = 32) -> np.ndarray:
    """Cluster id per row (rows whose hashes are within max_distance, directly or by a chain);
    -1 where the hash is missing or malformed. `values`: the hashes as text, or parse_phash's answer."""
    hashes, valid = values if isinstance(values, tuple) else parse_phash(values)
    codes = np.full(len(valid), -1, dtype=np.int64)
    if not valid.any():
        return codes
    distinct, inverse = np.unique(hashes[valid], return_inverse=True)
    left, right = _close_pairs(distinct, max_distance, neighbours)
    n = len(distinct)
    graph = coo_matrix((np.ones(len(left)), (left, right)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    codes[valid] = labels[inverse]
    return codes

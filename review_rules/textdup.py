"""Near-duplicate comments: MinHash over character shingles, LSH banding, verified pairs.

Character shingles need no tokenizer, so Chinese works as well as anything. The hash family
and the band/row split come from datasketch (its affine32 permutation scheme and its LSH
parameter optimiser); the signatures are computed for all distinct comments at once in numpy,
because building one datasketch object per comment costs ~90 µs and a batch can hold
hundreds of thousands of comments.
"""
from __future__ import annotations

import functools
import re

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

_NON_WORD = re.compile(r"[\W_]+")  # punctuation, symbols, emoji and spaces: edits that change nothing
_MIX = np.uint32(0x9E3779B1)


@functools.lru_cache(maxsize=8)
def lsh_setup(num_perm: int, threshold: float, seed: int = 1) -> tuple[np.ndarray, np.ndarray, int, int]:
    """(a, b) permutation parameters and (bands, rows) for a similarity threshold, from datasketch."""
    from datasketch import MinHash
    from datasketch.lsh import _optimal_param

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme="affine32").permutations
    bands, rows = _optimal_param(threshold, num_perm, 0.5, 0.5)
    return a.astype(np.uint32), b.astype(np.uint32), int(bands), int(rows)


def normalise(texts: pd.Series) -> pd.Series:
    """Lower case without punctuation, symbols, emoji or spaces (None stays None; non-text is missing)."""
    missing = texts.isna().to_numpy()
    return pd.Series([None if gone or not isinstance(text, str) else _NON_WORD.sub("", text.lower())
                      for text, gone in zip(texts.tolist(), missing, strict=True)], index=texts.index, dtype=object)


def _fmix32(h: np.ndarray) -> np.ndarray:
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def shingle_hashes(docs: list[str], size: int) -> tuple[np.ndarray, np.ndarray]:
    """(hash of every character `size`-gram, index of its document); every doc has >= size chars."""
    lengths = np.fromiter((len(d) for d in docs), dtype=np.int64, count=len(docs))
    points = np.frombuffer("".join(docs).encode("utf-32-le"), dtype=np.uint32)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    grams = lengths - size + 1
    doc = np.repeat(np.arange(len(docs)), grams)
    offset = np.arange(int(grams.sum())) - np.repeat(np.cumsum(grams) - grams, grams)
    position = np.repeat(starts, grams) + offset
    with np.errstate(over="ignore"):
        h = np.zeros(len(position), dtype=np.uint32)
        for k in range(size):
            h = h * _MIX ^ points[position + k]
        return _fmix32(h), doc


def signatures(docs: list[str], size: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MinHash signature matrix (docs x permutations), datasketch affine32 scheme."""
    hashes, doc = shingle_hashes(docs, size)
    bounds = np.flatnonzero(np.r_[True, doc[1:] != doc[:-1]])
    out = np.empty((len(docs), len(a)), dtype=np.uint32)
    block = max(1, 4_000_000 // max(len(hashes), 1))  # permutations per pass, bounding the temporary matrix
    with np.errstate(over="ignore"):
        for j in range(0, len(a), block):
            permuted = hashes[:, None] * a[None, j:j + block] + b[None, j:j + block]
            out[:, j:j + block] = np.minimum.reduceat(permuted, bounds, axis=0)
    return out


BAND_CELLS = 200_000  # bucket keys hashed per pass: all bands of a small batch at once, one at a time in a large one


def _candidate_pairs(sig: np.ndarray, bands: int, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Documents that agree on a whole band, each linked to the first document of its bucket."""
    n = len(sig)
    step = max(1, BAND_CELLS // max(n, 1))
    left, right = [], []
    for first in range(0, bands, step):
        count = min(step, bands - first)
        block = sig[:, first * rows:(first + count) * rows].astype(np.uint64).reshape(n, count, rows)
        key = np.zeros((n, count), dtype=np.uint64)
        with np.errstate(over="ignore"):
            for j in range(rows):
                key = key * np.uint64(0x100000001B3) ^ block[:, :, j]
            # band-major, and each band's keys apart from the others' (a rare collision between
            # bands only adds a candidate, which the signature comparison then rejects)
            key = (key ^ (np.arange(first, first + count, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15))).T
        codes, _ = pd.factorize(key.reshape(-1))
        leader = np.unique(codes, return_index=True)[1][codes] % n  # the first doc of every bucket
        doc = np.tile(np.arange(n), count)
        linked = leader != doc
        left.append(doc[linked])
        right.append(leader[linked])
    return np.concatenate(left) if left else np.zeros(0, int), np.concatenate(right) if right else np.zeros(0, int)


def comment_clusters(texts: pd.Series, min_chars: int, threshold: float, shingle: int = 2,
                     num_perm: int = 64, normalised: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(cluster id, normalised length) per row; -1 for comments shorter than `min_chars`.

    Rows whose normalised comments are near-duplicates (estimated Jaccard similarity of their
    shingle sets >= threshold, directly or through a chain) share a cluster id. Pass
    `normalised=True` when `texts` already went through `normalise`.
    """
    norm = texts if normalised else normalise(texts)
    lengths = norm.str.len().fillna(0).to_numpy(dtype=float)
    codes, uniques = pd.factorize(norm.where(lengths >= max(min_chars, shingle)), use_na_sentinel=True)
    if not len(uniques):
        return np.full(len(texts), -1, dtype=np.int64), lengths
    a, b, bands, rows = lsh_setup(num_perm, threshold)
    sig = signatures(list(uniques), shingle, a, b)
    left, right = _candidate_pairs(sig, bands, rows)
    similar = (sig[left] == sig[right]).mean(axis=1) >= threshold if len(left) else np.zeros(0, dtype=bool)
    n = len(uniques)
    graph = coo_matrix((np.ones(int(similar.sum())), (left[similar], right[similar])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.where(codes >= 0, labels[np.maximum(codes, 0)], -1).astype(np.int64), lengths

"""Fraud probabilities from a loaded model, with a time limit for online scoring.

Every prediction runs on one long-lived worker thread. Reusing one thread matters: the trees
predict with OpenMP, whose thread team belongs to the calling thread, and teams of several
calling threads spin against each other on a small machine (a 12-row prediction took 300 ms
instead of 3). Small inputs also run on a single OpenMP thread: a one-proof prediction gains
nothing from a parallel region and pays for its start-up once per tree.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from ml.direct import direct_path
from ml.features import align
from ml.registry import ModelBundle

SMALL_BATCH = 5000  # rows; below this one OpenMP thread is faster than a team
T = TypeVar("T")


class ModelTimeout(RuntimeError):
    """The model did not answer within its time limit."""


_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()
_controller: ThreadpoolController | None = None  # scanning the loaded libraries costs ms: do it once


def _threads():  # noqa: ANN202 - ThreadpoolController
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller


def _worker() -> ThreadPoolExecutor:
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="model")
        return _executor


def _abandon(executor: ThreadPoolExecutor) -> None:
    """A stuck call keeps its thread; later calls get a fresh one instead of queueing behind it."""
    global _executor
    with _executor_lock:
        if _executor is executor:
            _executor = None
    executor.shutdown(wait=False, cancel_futures=True)


def run_within(fn: Callable[[], T], timeout: float | None) -> T:
    """Run `fn` on the model thread; ModelTimeout after `timeout` seconds (None waits)."""
    executor = _worker()
    future = executor.submit(fn)
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        _abandon(executor)
        raise ModelTimeout(f"model prediction took longer than {timeout:g}s") from None


def probabilities(estimator, x: pd.DataFrame) -> np.ndarray:  # noqa: ANN001 - any sklearn classifier
    """P(fraud) of each row; small inputs take the direct path (ml/direct.py) on one OpenMP thread."""
    if len(x) > SMALL_BATCH:
        return estimator.predict_proba(x)[:, 1]
    rows = x.to_numpy(dtype=np.float32)
    direct = direct_path(estimator, list(x.columns), rows)
    with _threads().limit(limits=1, user_api="openmp"):
        return direct(rows) if direct else estimator.predict_proba(x)[:, 1]


def predict_proba(bundle: ModelBundle, features: pd.DataFrame) -> pd.Series:
    """P(fraud) per row of `features` (index proof_id), using the model's own feature order."""
    if features.empty:
        return pd.Series([], index=features.index, dtype=float, name="model_score")
    p = probabilities(bundle.estimator, align(features, bundle.feature_names))
    return pd.Series(np.clip(p, 0.0, 1.0), index=features.index, name="model_score")


def predict_within(bundle: ModelBundle, features: pd.DataFrame, timeout: float | None) -> pd.Series:
    """`predict_proba` on the model thread, or ModelTimeout after `timeout` seconds."""
    return run_within(lambda: predict_proba(bundle, features), timeout)

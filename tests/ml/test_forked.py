"""ForkedWork: a computation in a forked child, its result (or its failure) collected by the parent."""
from __future__ import annotations

import os
import time

import numpy as np
import pytest

from ml.forked import ForkedWork


def test_the_child_computes_on_a_copy_of_the_parents_memory():
    values = np.arange(1_000_000)
    work = ForkedWork(lambda: (os.getpid(), int(values.sum())))
    pid, total = work.result()
    assert pid != os.getpid() and total == int(values.sum())


def test_a_failure_in_the_child_is_raised_with_its_traceback():
    def fail() -> None:
        raise ValueError("bad window 7")
    with pytest.raises(RuntimeError, match=r"(?s)forked worker failed.*ValueError: bad window 7"):
        ForkedWork(fail).result()


def test_a_child_that_dies_without_a_result_is_reported():
    with pytest.raises(RuntimeError, match="ended without a result \\(exit code 3\\)"):
        ForkedWork(lambda: os._exit(3)).result()


def test_cancel_stops_a_running_child():
    work = ForkedWork(lambda: time.sleep(60))
    started = time.monotonic()
    work.cancel()
    assert time.monotonic() - started < 10 and not work._process.is_alive()

"""Server process tuning (app/runtime.py)."""
from __future__ import annotations

import gc

from app.runtime import YOUNG_THRESHOLD, tune_gc


def test_tune_gc_freezes_start_up_objects_and_collects_young_ones_less_often():
    before = gc.get_threshold()
    try:
        tune_gc()
        assert gc.get_threshold() == (YOUNG_THRESHOLD, before[1], before[2])
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)

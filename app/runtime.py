"""Process tuning for long-running servers (gunicorn via wsgi.py, rq workers via the worker app).

Scoring a proof allocates tens of thousands of short-lived containers (pandas, SQLAlchemy
rows), so with CPython's default thresholds the collector runs a full pass every few
requests, and a full pass walks every object the process holds: the model, the parsed rule
data, the loaded modules. That pause lands on whichever request triggered it and is what
separates p95 from p50. After start-up the long-lived objects are moved out of the
collector's sight (gc.freeze) and young collections happen less often.
"""
from __future__ import annotations

import gc

YOUNG_THRESHOLD = 50_000  # allocations between young collections (CPython default: 700)


def tune_gc() -> None:
    """Freeze what start-up loaded and collect the young generation less often; call once per process."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)

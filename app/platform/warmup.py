"""Warm-up hooks: work a process does once at start so the first request or job does not wait for it."""
from __future__ import annotations

import gc

from flask import current_app


def run_warm_ups(kind: str) -> list[str]:
    """Run the warm-up hooks areas registered (`app.extensions[kind]`: "worker_warm_ups" for
    `flask worker`, "web_warm_ups" for a web worker, wsgi.py), each saying what it loaded."""
    said = []
    for warm in current_app.extensions.get(kind, ()):
        try:
            said.append(warm())
        except Exception as exc:  # noqa: BLE001 - a worker still serves; the first job will say what is wrong
            said.append(f"{warm.__name__} preloaded nothing: {exc}")
    return said


def freeze_heap() -> None:
    """Move everything a started process holds (the app, pandas, the model) out of the collector's sight.

    A full collection otherwise walks those few hundred thousand objects each time a request's
    allocations trigger one: about 160 ms, paid by whichever request was unlucky (the p95 of the
    moderators' heavier pages). What is frozen is kept for the process's life, which it is anyway."""
    gc.freeze()

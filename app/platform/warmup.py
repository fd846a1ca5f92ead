"""Warm-up hooks: work a process does once at start so the first request or job does not wait for it."""
from __future__ import annotations

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

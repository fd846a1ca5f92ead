"""Areas follow each other's events without importing each other.

Scoring says "these proofs were just scored and committed"; the operators' shadow mode listens.
Listeners are registered once per app (app/areas.py), so scoring never learns who listens.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Flask, current_app

from models import db

log = logging.getLogger(__name__)

PROOFS_SCORED = "proofs_scored"


def listen(app: Flask, event: str, listener: Callable[[list[str]], object]) -> None:
    app.extensions.setdefault("hooks", {}).setdefault(event, []).append(listener)


def emit(event: str, proof_ids: list[str]) -> None:
    """Call after committing. A failing listener is logged, never raised: what was committed stands."""
    for listener in current_app.extensions.get("hooks", {}).get(event, []):
        try:
            listener(proof_ids)
        except Exception:  # noqa: BLE001 - a follower's failure must not undo or fail the scoring
            db.session.rollback()
            log.exception("listener %s of %s failed for %d proofs", getattr(listener, "__name__", listener),
                          event, len(proof_ids))

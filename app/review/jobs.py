"""Review's periodic work, callable by any scheduler (other areas may import `jobs` modules)."""
from __future__ import annotations

from app.platform.jobs import job
from app.review.services.info import expire_due
from models import db, utcnow


@job
def expire_info_requests() -> int:
    """Close the questions to workers past their due time and put their proofs back in the queue;
    commits; returns how many expired. Idempotent: run it as often as you like."""
    expired = expire_due(utcnow())
    db.session.commit()
    return expired

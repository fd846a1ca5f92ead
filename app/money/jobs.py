"""Settlement runs: `flask settle` and the `settlement` RQ job share `run_settlement`.

The database says what is pending, so the job takes no ids: it settles every eligible proof,
committing per chunk. A worker killed mid-run leaves whole chunks settled and the rest approved;
the next run picks up the rest, and row locks plus `settle:<proof>` keys keep concurrent runs from
paying twice.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import current_app

from app.money.services.funding import refund_closed_campaigns
from app.money.services.settlement import SettlementTotals, settle_chunk
from app.platform.jobs import SETTLEMENT, JobSpec, dispatcher, job
from models import db, utcnow

SETTLE_RUN = JobSpec(SETTLEMENT, timeout=2 * 3600, result_ttl=24 * 3600)
DEFAULT_CHUNK = 5000

Progress = Callable[[SettlementTotals], None]


def run_settlement(*, chunk_size: int = DEFAULT_CHUNK, now: datetime | None = None,
                   progress: Progress | None = None) -> tuple[SettlementTotals, int]:
    """Settle every eligible proof chunk by chunk (one commit each), then refund closed campaigns.

    Returns (totals, cents refunded to brands).
    """
    now = now or utcnow()
    hold_hours = current_app.config["SETTLEMENT_HOLD_HOURS"]
    totals, after = SettlementTotals(), None
    while True:
        chunk = settle_chunk(now=now, hold_hours=hold_hours, limit=chunk_size, after=after)
        db.session.commit()
        if chunk.last_id is None:
            break
        totals.add(chunk)
        after = chunk.last_id
        if progress:
            progress(totals)
    refunded = refund_closed_campaigns()
    db.session.commit()
    return totals, refunded


@job
def settle_approved(chunk_size: int = DEFAULT_CHUNK) -> str:
    """The `settlement` queue job: settle everything eligible now; returns the summary line."""
    totals, _ = run_settlement(chunk_size=chunk_size)
    return totals.line()


def enqueue_settlement(chunk_size: int = DEFAULT_CHUNK) -> str | None:
    """Queue a settlement run (or run it in-process without Redis); returns the RQ job id."""
    return dispatcher().enqueue(settle_approved, chunk_size, spec=SETTLE_RUN)

"""Leads' numbers over time: queue depth per queue, SLA breaches, time to claim and to decide, and how
often second looks (QA re-checks of policy approvals, appeals) agree with the first decision.

Depth is rebuilt backwards from today's depth: depth at the end of a bucket is today's depth, minus
the items that arrived after it, plus those decided after it. Each count is one grouped query over
the window's rows, bucketed in SQL, so a million-item table is read once per count, not per bucket.
An item is counted in the queue it is in now (an escalated item counts as senior from its arrival).
Nothing here writes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

import sqlalchemy as sa

from app.platform.sql import dialect_name
from app.review.services import sla
from app.review.services.queue import PENDING, QA_CONFIRMED, QA_DISAGREED, TABS
from models import Appeal, AuditEvent, ReviewDecision, ReviewItem, db
from models.base import UTCDateTime

SAMPLE = 20_000  # newest claims / decisions read for the medians
WINDOWS = {"48h": (48, 3600), "14d": (14, 86400)}  # buckets, seconds per bucket


@dataclass
class Trends:
    window: str
    starts: list[datetime]  # start of each bucket, oldest first
    depth: dict[str, list[int]] = field(default_factory=dict)  # queue -> pending at each bucket's end
    arrivals: list[int] = field(default_factory=list)
    decided: list[int] = field(default_factory=list)
    breached_decisions: list[int] = field(default_factory=list)  # decided after their due time, per bucket
    breached_now: dict[str, int] = field(default_factory=dict)
    median_claim_seconds: float | None = None
    median_decide_seconds: float | None = None
    qa_checked: int = 0
    qa_confirmed: int = 0
    appeals_decided: int = 0
    appeals_denied: int = 0

    @property
    def qa_agreement(self) -> float | None:
        return self.qa_confirmed / self.qa_checked if self.qa_checked else None

    @property
    def appeal_agreement(self) -> float | None:
        """Share of decided appeals that left the moderator's decision standing."""
        return self.appeals_denied / self.appeals_decided if self.appeals_decided else None


def _bucket(column: sa.ColumnElement, since: datetime, seconds: int) -> sa.ColumnElement:
    """The bucket index of a timestamp column, counted from `since`, in the database's own arithmetic."""
    start = sa.literal(since, UTCDateTime)
    if dialect_name() == "postgresql":
        return sa.func.floor(sa.extract("epoch", column - start) / seconds)
    return sa.cast(sa.func.floor((sa.func.julianday(column) - sa.func.julianday(start)) * 86400 / seconds),
                   sa.Integer)


def _counts(column: sa.ColumnElement, since: datetime, seconds: int, n: int, *where: sa.ColumnElement,
            by_queue: bool = False) -> dict:
    bucket = _bucket(column, since, seconds).label("bucket")
    keys = [ReviewItem.queue, bucket] if by_queue else [bucket]
    rows = db.session.execute(sa.select(*keys, sa.func.count()).select_from(ReviewItem)
                              .where(column >= since, *where).group_by(*keys)).all()
    out: dict = {}
    for row in rows:
        index = int(row[-2])
        if 0 <= index < n:
            key = (row[0], index) if by_queue else index
            out[key] = out.get(key, 0) + row[-1]
    return out


def trends(now: datetime, window: str = "48h") -> Trends:
    buckets, seconds = WINDOWS.get(window, WINDOWS["48h"])
    since = now - timedelta(seconds=buckets * seconds)
    found = Trends(window=window, starts=[since + timedelta(seconds=i * seconds) for i in range(buckets)])
    depth_now = dict(db.session.execute(sa.select(ReviewItem.queue, sa.func.count())
                                        .where(ReviewItem.status.in_(PENDING)).group_by(ReviewItem.queue)).all())
    arrived = _counts(ReviewItem.created_at, since, seconds, buckets, by_queue=True)
    # A decided item's last update is its decision (an item is not touched once decided).
    left = _counts(ReviewItem.updated_at, since, seconds, buckets, ReviewItem.status == "decided", by_queue=True)
    for queue in TABS:
        level, series = depth_now.get(queue, 0), [0] * buckets
        for i in range(buckets - 1, -1, -1):
            series[i] = max(0, level)
            level += left.get((queue, i), 0) - arrived.get((queue, i), 0)
        found.depth[queue] = series
    found.arrivals = [sum(arrived.get((q, i), 0) for q in TABS) for i in range(buckets)]
    found.decided = [sum(left.get((q, i), 0) for q in TABS) for i in range(buckets)]
    found.breached_decisions = _late_decisions(since, seconds, buckets)
    found.breached_now = sla.breached_now(now)
    found.median_claim_seconds = _median_wait(ReviewItem.claimed_at, since)
    found.median_decide_seconds = _median_decide(since)
    _second_looks(found, since)
    return found


def _late_decisions(since: datetime, seconds: int, buckets: int) -> list[int]:
    """Items decided in each bucket after their queue's due time."""
    hours = sla.sla_hours()
    late = [0] * buckets
    for queue in TABS:
        allowed = timedelta(hours=hours[queue]).total_seconds()
        overdue = _overdue(allowed)
        for index, n in _counts(ReviewItem.updated_at, since, seconds, buckets, ReviewItem.status == "decided",
                                ReviewItem.queue == queue, overdue).items():
            late[index] += n
    return late


def _overdue(allowed_seconds: float) -> sa.ColumnElement[bool]:
    if dialect_name() == "postgresql":
        return sa.extract("epoch", ReviewItem.updated_at - ReviewItem.created_at) > allowed_seconds
    return (sa.func.julianday(ReviewItem.updated_at) - sa.func.julianday(ReviewItem.created_at)) * 86400 \
        > allowed_seconds


def _median_wait(column: sa.ColumnElement, since: datetime) -> float | None:
    waits = [(at - created).total_seconds() for at, created in db.session.execute(
        sa.select(column, ReviewItem.created_at).where(column >= since).order_by(column.desc()).limit(SAMPLE))]
    return median(max(0.0, w) for w in waits) if waits else None


def _median_decide(since: datetime) -> float | None:
    waits = [(decided - created).total_seconds() for decided, created in db.session.execute(
        sa.select(ReviewDecision.decided_at, ReviewItem.created_at)
        .join(ReviewItem, ReviewItem.proof_id == ReviewDecision.proof_id)
        .where(ReviewDecision.actor_kind == "human", ReviewDecision.decided_at >= since)
        .order_by(ReviewDecision.decided_at.desc()).limit(SAMPLE))]
    return median(max(0.0, w) for w in waits) if waits else None


def _second_looks(found: Trends, since: datetime) -> None:
    """QA re-checks of sampled decisions (confirmed, sent back or disagreed with) and appeals decided in the window."""
    confirmed = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == QA_CONFIRMED, AuditEvent.at >= since)) or 0
    reopened = sum(1 for (data,) in db.session.execute(sa.select(AuditEvent.data).where(
        AuditEvent.action == "proof.reopened", AuditEvent.at >= since)) if (data or {}).get("from") == "qa_sample")
    disagreed = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == QA_DISAGREED, AuditEvent.at >= since)) or 0  # with a moderator's decision
    found.qa_checked, found.qa_confirmed = confirmed + reopened + disagreed, confirmed
    for status, n in db.session.execute(sa.select(Appeal.status, sa.func.count()).where(
            Appeal.status != "open", Appeal.decided_at >= since).group_by(Appeal.status)):
        found.appeals_decided += n
        found.appeals_denied += n if status == "denied" else 0

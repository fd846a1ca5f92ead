"""Service levels: each queue promises a decision within so many hours of an item's arrival.

An item's due time is its arrival (`created_at`) plus its queue's hours (config REVIEW_SLA_HOURS,
else the defaults below); the list shows it as a countdown, breached items are marked and counted.
Nothing here writes.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_app_context

from models import ReviewItem, db
from models.review import QUEUES

PENDING = ("open", "claimed")  # as queue.PENDING (queue imports this module)

DEFAULT_SLA_HOURS = {"hold": 4, "senior": 8, "review": 24, "auto": 72}


def sla_hours() -> dict[str, float]:
    configured = current_app.config.get("REVIEW_SLA_HOURS") if has_app_context() else None
    return {**DEFAULT_SLA_HOURS, **(configured or {})}


def due_at(created_at: datetime, queue: str, hours: dict[str, float] | None = None) -> datetime:
    hours = hours or sla_hours()
    return created_at + timedelta(hours=hours.get(queue, DEFAULT_SLA_HOURS["review"]))


def seconds_left(created_at: datetime, queue: str, now: datetime, hours: dict[str, float] | None = None) -> float:
    """Until the item is due; negative once breached."""
    return (due_at(created_at, queue, hours) - now).total_seconds()


def breached_now(now: datetime) -> dict[str, int]:
    """Pending items past their due time, per queue (one indexed count per queue)."""
    hours = sla_hours()
    out = {}
    for queue in QUEUES:
        cutoff = now - timedelta(hours=hours[queue])
        out[queue] = db.session.scalar(sa.select(sa.func.count()).select_from(ReviewItem).where(
            ReviewItem.queue == queue, ReviewItem.status.in_(PENDING), ReviewItem.created_at < cutoff)) or 0
    return out

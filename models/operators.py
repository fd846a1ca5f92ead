"""What the operators' workbench keeps: backtests of rule-set versions over labelled history."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow


class Backtest(db.Model):
    """One evaluation of a rule-set version over a period of labelled proofs; results kept as JSON."""

    __tablename__ = "backtests"

    id: Mapped[int] = mapped_column(primary_key=True)
    ruleset_version: Mapped[int] = mapped_column(index=True)
    baseline_version: Mapped[int | None] = mapped_column()  # the active version it is compared with
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    until: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")  # queued/running/done/failed
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"))
    results: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

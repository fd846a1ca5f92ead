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


class ShadowScore(db.Model):
    """What a shadow rule-set version said about a proof, beside what the active version said then.
    Never read by routing or money: only the operators' comparison reads it."""

    __tablename__ = "shadow_scores"
    __table_args__ = (sa.UniqueConstraint("ruleset_version", "proof_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ruleset_version: Mapped[int] = mapped_column()
    proof_id: Mapped[str] = mapped_column(sa.ForeignKey("proofs.id"), index=True)
    risk_score: Mapped[float] = mapped_column(sa.Float)
    route: Mapped[str] = mapped_column(sa.String(16))
    reasons: Mapped[str] = mapped_column(sa.Text, default="")
    active_version: Mapped[int | None] = mapped_column()
    active_risk: Mapped[float | None] = mapped_column(sa.Float)
    active_route: Mapped[str | None] = mapped_column(sa.String(16))
    active_reasons: Mapped[str | None] = mapped_column(sa.Text)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

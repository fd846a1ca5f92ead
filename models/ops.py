"""Settings an admin changes in the browser, and what each retention run did."""
from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow


class Setting(db.Model):
    """One named value (retention days, ...); the names and their bounds live in app/admin/services/settings.py."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))


class RetentionRun(db.Model):
    """One pass of the retention job: its cutoff, how far it got and how it ended."""

    __tablename__ = "retention_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    trigger: Mapped[str] = mapped_column(sa.String(16))  # schedule / admin / cli
    status: Mapped[str] = mapped_column(sa.String(16), default="running")  # running/done/failed/interrupted
    retention_days: Mapped[int] = mapped_column()
    cutoff: Mapped[datetime] = mapped_column(UTCDateTime)
    proofs_purged: Mapped[int] = mapped_column(default=0)
    batches: Mapped[int] = mapped_column(default=0)
    last_proof_id: Mapped[str | None] = mapped_column(sa.String(64))
    message: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    requested_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))

"""Worker accounts (the people paid to interact). The phone is encrypted; matching uses its HMAC."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow


class Worker(db.Model):
    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    region: Mapped[str | None] = mapped_column(sa.String(32))
    timezone: Mapped[str | None] = mapped_column(sa.String(64))
    language: Mapped[str | None] = mapped_column(sa.String(32))
    phone_enc: Mapped[str | None] = mapped_column(sa.Text)
    phone_hash: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Live rooms, their broadcasts (sessions) and the campaigns brands run on them."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow

ACTIONS = ("like", "comment", "watch", "follow", "share")
CAMPAIGN_STATES = ("draft", "active", "closed")


class Room(db.Model):
    __tablename__ = "rooms"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(200))
    category: Mapped[str | None] = mapped_column(sa.String(64))


class LiveSession(db.Model):
    __tablename__ = "live_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    room_id: Mapped[str] = mapped_column(sa.ForeignKey("rooms.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Campaign(db.Model):
    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    brand_id: Mapped[str] = mapped_column(sa.ForeignKey("brands.id"), index=True)
    room_id: Mapped[str] = mapped_column(sa.ForeignKey("rooms.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(16))
    reward_cents: Mapped[int] = mapped_column(sa.BigInteger)
    budget_cents: Mapped[int] = mapped_column(sa.BigInteger)
    commission_rate: Mapped[float] = mapped_column(sa.Float)
    max_completions: Mapped[int | None] = mapped_column()
    min_watch_seconds: Mapped[int | None] = mapped_column()
    brief: Mapped[str | None] = mapped_column(sa.Text)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(16), default="active")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Every proof ever stored for the campaign, whatever its state: counted by the database itself
    # (models/proof.py, a trigger on every insert, COPY included) and never lowered, so it bounds the
    # live proofs from above and intake counts them only when this bound comes near the cap.
    proofs_received: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")

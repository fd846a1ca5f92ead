"""Brands: the paying side, with KYC state. Contact and licence are encrypted at rest."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow

KYC_STATES = ("pending", "verified", "rejected", "suspended")


class Brand(db.Model):
    __tablename__ = "brands"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    kyc_status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    license_no_enc: Mapped[str | None] = mapped_column(sa.Text)
    contact_email_enc: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Compliance snapshots: rings of linked accounts and each brand's risk scorecard.

Both are recomputed together (`app/compliance/services/scorecard.refresh_scorecards`): rings need
the whole account-evidence graph, and the brands list must sort 1,000 brands over a million proofs
without aggregating them on every page view.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow


class WorkerRing(db.Model):
    """The ring (connected component of shared devices, phones, hardware and home addresses) of an account."""

    __tablename__ = "worker_rings"
    __table_args__ = (sa.Index("ix_worker_rings_ring_id", "ring_id"),)

    worker_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    ring_id: Mapped[int] = mapped_column(sa.BigInteger)
    ring_size: Mapped[int] = mapped_column()


class BrandRingMember(db.Model):
    """The accounts of a brand's top linked group (review_rules/collusion.py), as the last refresh found them."""

    __tablename__ = "brand_ring_members"

    brand_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    worker_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)


class BrandScorecard(db.Model):
    __tablename__ = "brand_scorecards"
    __table_args__ = (sa.Index("ix_brand_scorecards_risk", "risk", "brand_id"),)

    brand_id: Mapped[str] = mapped_column(sa.ForeignKey("brands.id"), primary_key=True)
    proofs: Mapped[int] = mapped_column(default=0)
    decided: Mapped[int] = mapped_column(default=0)
    rejected: Mapped[int] = mapped_column(default=0)
    top_ring_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    top_ring_proofs: Mapped[int] = mapped_column(default=0)
    # share of the top group's own completions that are for this brand (1.0: they work for nobody else)
    top_ring_concentration: Mapped[float] = mapped_column(sa.Float, default=0.0)
    exclusive_proofs: Mapped[int] = mapped_column(default=0)
    rejected_share: Mapped[float] = mapped_column(sa.Float, default=0.0)
    ring_share: Mapped[float] = mapped_column(sa.Float, default=0.0)
    exclusive_share: Mapped[float] = mapped_column(sa.Float, default=0.0)
    risk: Mapped[float] = mapped_column(sa.Float, default=0.0)
    # Disputes the brand filed about its completions, and how many proofs they named / were upheld.
    disputes: Mapped[int] = mapped_column(default=0, server_default="0")
    disputed_proofs: Mapped[int] = mapped_column(default=0, server_default="0")
    upheld_proofs: Mapped[int] = mapped_column(default=0, server_default="0")
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

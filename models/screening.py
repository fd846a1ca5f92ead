"""Campaign screening: versioned rule sets (data, edited by compliance) and one row per screening run."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow

# clear: no finding, nothing to do. held: findings, waiting for compliance. resubmitted: a held
# campaign's brief was changed; waiting for compliance again. changes_requested: the brand must edit.
SCREENING_STATES = ("clear", "held", "resubmitted", "changes_requested", "approved", "rejected")
WAITING_STATES = ("held", "resubmitted", "changes_requested")


class ScreeningRuleSet(db.Model):
    __tablename__ = "screening_rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")  # draft/active/retired
    document: Mapped[dict] = mapped_column(sa.JSON)
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CampaignScreening(db.Model):
    __tablename__ = "campaign_screenings"
    __table_args__ = (sa.Index("ix_campaign_screenings_campaign_id_id", "campaign_id", "id"),
                      sa.Index("ix_campaign_screenings_status", "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[str] = mapped_column(sa.ForeignKey("campaigns.id"))
    rule_set_version: Mapped[int] = mapped_column()
    trigger: Mapped[str] = mapped_column(sa.String(16))  # import / api / edit / rescreen
    brief: Mapped[str | None] = mapped_column(sa.Text)  # the text screened, as the brand wrote it
    findings: Mapped[list] = mapped_column(sa.JSON, default=list)
    worst_severity: Mapped[str | None] = mapped_column(sa.String(8))
    status: Mapped[str] = mapped_column(sa.String(24))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(sa.Text)

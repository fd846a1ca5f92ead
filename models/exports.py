"""Regulator exports: a brand's complete file, produced by a job and kept on disk for download."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow

EXPORT_STATES = ("queued", "running", "done", "failed")
EXPORT_KINDS = ("zip", "html", "pdf")  # the CSV bundle and the printable report, twice


class BrandExport(db.Model):
    __tablename__ = "brand_exports"
    __table_args__ = (sa.Index("ix_brand_exports_brand_id_id", "brand_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[str] = mapped_column(sa.ForeignKey("brands.id"))
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    locale: Mapped[str] = mapped_column(sa.String(16), default="zh_CN")  # the report's language
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("tasks.id"))
    # kind -> {"name": file name, "size": bytes, "sha256": hex} once written
    files: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

"""Moderation beyond one proof: requests that wait for a second reviewer (four eyes), and sanctions
on workers (restrict, suspend, ban) with a scope and a duration."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow

REQUEST_KINDS = ("bulk_decision", "worker_sanction")
REQUEST_STATES = ("pending", "applied", "declined")
SANCTION_KINDS = ("restrict", "suspend", "ban")
SANCTION_SCOPES = ("platform", "brand", "campaign")


class ModerationRequest(db.Model):
    """One staff action over many proofs or on a worker, with the preview it was asked on.

    An action that needs four eyes waits `pending` until a senior moderator other than the
    requester applies or declines it; one that does not is stored `applied` at once, so every
    bulk action and sanction has the same record.
    """

    __tablename__ = "moderation_requests"
    __table_args__ = (sa.Index("ix_moderation_requests_status_requested", "status", "requested_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    payload: Mapped[dict] = mapped_column(sa.JSON)  # what to do: proof ids + decision, or the sanction
    preview: Mapped[dict] = mapped_column(sa.JSON)  # proofs, workers and cents touched, as shown when asked
    four_eyes: Mapped[str | None] = mapped_column(sa.Text)  # why a second reviewer is needed, or None
    requested_by: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reviewed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    review_note: Mapped[str | None] = mapped_column(sa.Text)
    result: Mapped[dict | None] = mapped_column(sa.JSON)  # counts once applied


class WorkerSanction(db.Model):
    """A restriction on a worker; in force from `starts_at` until `ends_at` (None: no end) unless revoked."""

    __tablename__ = "worker_sanctions"
    __table_args__ = (sa.Index("ix_worker_sanctions_worker_revoked", "worker_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[str] = mapped_column(sa.ForeignKey("workers.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    scope: Mapped[str] = mapped_column(sa.String(16), default="platform")
    scope_id: Mapped[str | None] = mapped_column(sa.String(64))  # the campaign or brand id
    reason: Mapped[str] = mapped_column(sa.Text)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id"))
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("moderation_requests.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(sa.Text)

    def in_force(self, now: datetime) -> bool:
        return self.revoked_at is None and self.starts_at <= now and (self.ends_at is None or self.ends_at > now)


APPEAL_STATES = ("open", "upheld", "denied")


class Appeal(db.Model):
    """A worker's appeal against the rejection of one proof; a senior moderator upholds or denies it."""

    __tablename__ = "appeals"
    __table_args__ = (sa.Index("ix_appeals_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proof_id: Mapped[str] = mapped_column(sa.ForeignKey("proofs.id"), unique=True)  # one appeal per proof
    worker_id: Mapped[str] = mapped_column(sa.ForeignKey("workers.id"))
    message: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(16), default="api")
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    appealed_decision_id: Mapped[int | None] = mapped_column(sa.ForeignKey("review_decisions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str | None] = mapped_column(sa.Text)

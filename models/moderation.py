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


class RejectReason(db.Model):
    """One reason a proof may be rejected, with the message the worker reads (English and Chinese).

    Managed by senior moderators in the browser; retired, never deleted, so every stored decision
    keeps its reason. Seeded by migration 0200 with the built-in codes."""

    __tablename__ = "reject_reasons"

    code: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    label: Mapped[str] = mapped_column(sa.String(200))  # what moderators see in the reason menu
    message_en: Mapped[str] = mapped_column(sa.Text)
    message_zh: Mapped[str] = mapped_column(sa.Text)
    position: Mapped[int] = mapped_column(default=100)  # menu order (digits pick the first nine)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))


INFO_REQUEST_STATES = ("open", "answered", "expired", "closed")


class InfoRequest(db.Model):
    """A moderator's question to the worker about one proof. While it is open the proof's review item
    waits in status `info_requested`, out of every queue, until the worker answers or `due_at` passes."""

    __tablename__ = "info_requests"
    __table_args__ = (
        sa.Index("ix_info_requests_status_due", "status", "due_at"),
        sa.Index("ix_info_requests_proof", "proof_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proof_id: Mapped[str] = mapped_column(sa.ForeignKey("proofs.id"))
    question: Mapped[str] = mapped_column(sa.Text)
    asked_by: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # answered, expired or superseded

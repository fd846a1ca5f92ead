"""Review queue items and the decisions that gate every settlement."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow

QUEUES = ("auto", "review", "hold", "senior")
ITEM_STATES = ("open", "claimed", "decided")
DECISIONS = ("approved", "rejected", "escalated")
ACTOR_KINDS = ("human", "system", "import")


class ReviewItem(db.Model):
    __tablename__ = "review_items"
    __table_args__ = (
        sa.Index("ix_review_items_queue_status_priority", "queue", "status", "priority"),
        sa.Index("ix_review_items_campaign_queue_status_priority", "campaign_id", "queue", "status", "priority"),
        # The queue's order (risk x money x age, app/review/services/priority.py): claim next and the list
        # read one status of one queue backwards along this index.
        sa.Index("ix_review_items_queue_status_sort_key", "queue", "status", "sort_key", "id"),
        sa.Index("ix_review_items_campaign_queue_status_sort_key", "campaign_id", "queue", "status", "sort_key"),
        # The list grouped by worker: one index-only pass over a queue's waiting items, already in worker order.
        sa.Index("ix_review_items_queue_status_worker", "queue", "status", "worker_id", "priority", "money_cents"),
        sa.Index("ix_review_items_qa_due", "qa_due", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proof_id: Mapped[str] = mapped_column(sa.ForeignKey("proofs.id"), unique=True)
    # The proof's campaign, copied (it never changes): filtering a queue of a million items by
    # campaign through the proofs join walked the whole queue in priority order.
    campaign_id: Mapped[str] = mapped_column(sa.String(64))
    queue: Mapped[str] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    priority: Mapped[float] = mapped_column(sa.Float, default=0.0)  # the risk score the item was queued with
    # ln(risk x money at stake) - arrival / tau of the queue: larger comes first. Fixed per item, so an
    # index serves the order; rewritten when the risk or the queue changes (app/review/services/priority.py).
    sort_key: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    # Copied with the key from the proof and its campaign (they never change while it waits), so the
    # grouped list reads waiting items without joining a million proofs. Empty on items decided before 0220.
    worker_id: Mapped[str | None] = mapped_column(sa.String(64))
    money_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    # A moderator's decision drawn for a QA re-check that nobody has done yet (qa_sample.py).
    qa_due: Mapped[bool] = mapped_column(sa.Boolean, default=False, server_default=sa.false())
    claimed_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


# Most items of a queue are decided, so "queue = 'hold' AND status = 'open'" matches far more rows than
# the two columns' separate frequencies suggest (ten times more at a million items). With that
# underestimate PostgreSQL read a whole backlog to sort its riskiest few thousand; statistics on the
# pair let it walk the index instead (migration 0222 creates them on migrated databases).
QUEUE_STATUS_STATISTICS = "st_review_items_queue_status"
sa.event.listen(ReviewItem.__table__, "after_create", sa.DDL(
    f"CREATE STATISTICS {QUEUE_STATUS_STATISTICS} (dependencies, mcv) ON queue, status FROM review_items",
).execute_if(dialect="postgresql"))


class ReviewDecision(db.Model):
    """One decision on a proof. The newest row for a proof is the one in force."""

    __tablename__ = "review_decisions"
    __table_args__ = (sa.Index("ix_review_decisions_proof_decided", "proof_id", "decided_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proof_id: Mapped[str] = mapped_column(sa.ForeignKey("proofs.id"))
    decision: Mapped[str] = mapped_column(sa.String(16))
    reason_code: Mapped[str | None] = mapped_column(sa.String(64))
    note: Mapped[str | None] = mapped_column(sa.Text)
    actor_kind: Mapped[str] = mapped_column(sa.String(16))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A stable key for imported and API decisions so repeating them changes nothing.
    idempotency_key: Mapped[str | None] = mapped_column(sa.String(128), unique=True)


class QaCheck(db.Model):
    """A second person's re-check of one sampled decision (a policy approval or a moderator's decision):
    agreed or not. The leads' dashboard reads agreement per moderator from these rows."""

    __tablename__ = "qa_checks"
    __table_args__ = (sa.Index("ix_qa_checks_decided_by_checked_at", "decided_by", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proof_id: Mapped[str] = mapped_column(sa.ForeignKey("proofs.id"), unique=True)  # a proof is sampled once
    decision_id: Mapped[int] = mapped_column(sa.ForeignKey("review_decisions.id"))
    decided_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))  # None: the policy
    checked_by: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id"))
    agreed: Mapped[bool] = mapped_column(sa.Boolean)
    note: Mapped[str | None] = mapped_column(sa.Text)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

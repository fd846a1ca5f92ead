"""Compliance cases and brand disputes.

A case is opened on one subject (a brand, a campaign, a worker, or a ring: the accounts linked to a
proof's worker) and collects items: proofs, review decisions, notes, files, and the workers and
campaigns it concerns. While a case is not closed it holds money (app/compliance/services/case_holds.py).
Its timeline is the audit trail of the case and of every object attached to it, so there is no
separate event table. A dispute is a brand saying some completions it paid for are fake; it always
hangs on a case of that brand.
"""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow

CASE_SUBJECTS = ("brand", "campaign", "worker", "ring")
CASE_STATES = ("open", "investigating", "closed")
OPEN_CASE_STATES = ("open", "investigating")
CASE_ITEM_KINDS = ("proof", "decision", "note", "file", "worker", "campaign")
CASE_OUTCOMES = ("warning", "suspend_brand", "suspend_campaigns", "refund", "referral")
PRIORITIES = (1, 2, 3, 4)  # low, normal, high, urgent
DISPUTE_STATES = ("open", "upheld", "rejected")


class ComplianceCase(db.Model):
    __tablename__ = "compliance_cases"
    __table_args__ = (sa.Index("ix_compliance_cases_subject", "subject_type", "subject_id", "status"),
                      sa.Index("ix_compliance_cases_brand_status", "brand_id", "status"),
                      sa.Index("ix_compliance_cases_status_priority", "status", "priority", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(sa.String(16))
    # brand, campaign or worker id; for a ring, the proof whose cluster it is
    subject_id: Mapped[str] = mapped_column(sa.String(64))
    # The brand whose money the case holds: the brand itself, or the brand of a campaign.
    brand_id: Mapped[str | None] = mapped_column(sa.ForeignKey("brands.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    priority: Mapped[int] = mapped_column(sa.SmallInteger, default=2)
    owner_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    # The worst finding seen so far per source ({"screening": 3, "risk": 4}); a worse one raises the priority.
    findings_seen: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    opened_by: Mapped[str] = mapped_column(sa.String(120))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_by: Mapped[str | None] = mapped_column(sa.String(120))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_CASE_STATES


class CaseItem(db.Model):
    """Something attached to a case: `ref` names a proof, decision, worker or campaign; notes have `body`."""

    __tablename__ = "case_items"
    __table_args__ = (sa.Index("ix_case_items_kind_ref", "kind", "ref"),
                      sa.Index("ix_case_items_case", "case_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("compliance_cases.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    ref: Mapped[str | None] = mapped_column(sa.String(64))
    body: Mapped[str | None] = mapped_column(sa.Text)
    filename: Mapped[str | None] = mapped_column(sa.String(200))  # as shown, sanitised
    stored_name: Mapped[str | None] = mapped_column(sa.String(80))  # on disk under the instance dir
    size_bytes: Mapped[int | None] = mapped_column()
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    added_by: Mapped[str] = mapped_column(sa.String(120))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseOutcome(db.Model):
    __tablename__ = "case_outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("compliance_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(24))
    reason: Mapped[str] = mapped_column(sa.Text)
    result: Mapped[dict | None] = mapped_column(sa.JSON)  # what it did: campaigns suspended, cents refunded
    decided_by: Mapped[str] = mapped_column(sa.String(120))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Dispute(db.Model):
    __tablename__ = "disputes"
    __table_args__ = (sa.Index("ix_disputes_brand_status", "brand_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    brand_id: Mapped[str] = mapped_column(sa.ForeignKey("brands.id"))
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("compliance_cases.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    source: Mapped[str] = mapped_column(sa.String(16))  # api, browser
    filed_by: Mapped[str] = mapped_column(sa.String(120))  # the API client or the staff member
    status: Mapped[str] = mapped_column(sa.String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(sa.String(120))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str | None] = mapped_column(sa.Text)


class DisputeProof(db.Model):
    """One disputed proof and what the dispute did to it: reopened (back to review), clawback (settled:
    waits for the clawback decision) or unchanged (already rejected or waiting for review anyway)."""

    __tablename__ = "dispute_proofs"

    dispute_id: Mapped[int] = mapped_column(sa.ForeignKey("disputes.id"), primary_key=True)
    proof_id: Mapped[str] = mapped_column(sa.ForeignKey("proofs.id"), primary_key=True, index=True)
    action: Mapped[str] = mapped_column(sa.String(16))
    state_then: Mapped[str] = mapped_column(sa.String(16))

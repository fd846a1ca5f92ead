"""Versioned rule sets, model versions, the audit trail and background task progress."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow


class RuleSet(db.Model):
    __tablename__ = "rule_sets"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="draft")  # draft/active/shadow/retired
    config: Mapped[dict] = mapped_column(sa.JSON)  # {signals: {code: {enabled, weight, params}}, thresholds}
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ModelVersion(db.Model):
    __tablename__ = "model_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16), default="candidate")  # candidate/active/retired
    artifact_path: Mapped[str] = mapped_column(sa.Text)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    metrics: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    meta: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    trained_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def canonical_json(value: Any) -> str | None:
    """One text per value: sorted keys, no spaces, UTF-8 as is (None stays NULL)."""
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                      default=str)


class CanonicalJSON(sa.TypeDecorator):
    """JSON kept as canonical text, so the audit hash covers exactly the stored bytes and
    verification never parses them."""

    impl = sa.Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return canonical_json(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return None if value is None else json.loads(value)


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_events_object", "object_type", "object_id"),
                      sa.Index("ix_audit_events_actor_label_id", "actor_label", "id"),
                      sa.Index("ix_audit_events_action_id", "action", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    actor_label: Mapped[str] = mapped_column(sa.String(256))  # "system", "import", staff email (audit.bounded)
    action: Mapped[str] = mapped_column(sa.String(64))
    object_type: Mapped[str] = mapped_column(sa.String(32))
    object_id: Mapped[str] = mapped_column(sa.String(256))
    data: Mapped[dict | None] = mapped_column(CanonicalJSON)
    before: Mapped[Any] = mapped_column(CanonicalJSON, nullable=True)
    after: Mapped[Any] = mapped_column(CanonicalJSON, nullable=True)
    reason: Mapped[str | None] = mapped_column(sa.Text)
    # The hash chain (app/platform/audit.py): each row hashes its own fields and the previous row's hash.
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))


class AuditChainHead(db.Model):
    """One row: the hash and id of the newest audit event. Writers update it first, so its row lock
    serialises them (no fork in the chain), and verify compares it with the last event (a deleted
    tail is detected too)."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last_event_id: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(sa.String(64))
    events: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class Task(db.Model):
    """A background job someone waits for; its status lives here, not only in Redis."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")  # queued/running/done/failed
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str | None] = mapped_column(sa.Text)
    rq_job_id: Mapped[str | None] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

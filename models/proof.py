"""Submitted proofs with their evidence, and the proof lifecycle state machine.

Raw IP is stored only encrypted, and purged with the raw device detail after the retention period
(app/admin/services/retention.py); rules match on keyed hashes (ip_hash, ip_prefix_hash,
device_fp_hash, device_canvas_hash) and on non-personal enrichment (country, ASN).
"""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, checked_transition, db, utcnow


class ProofState(str, enum.Enum):
    RECEIVED = "received"
    SCORED = "scored"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    SETTLED = "settled"
    CLAWED_BACK = "clawed_back"


S = ProofState
# received -> in_review is allowed for proofs a human must see before scoring (imported history,
# scoring failures); approved/rejected -> in_review is a reopen (new evidence, appeal).
TRANSITIONS: dict[ProofState, frozenset[ProofState]] = {
    S.RECEIVED: frozenset({S.SCORED, S.IN_REVIEW}),
    S.SCORED: frozenset({S.IN_REVIEW}),
    S.IN_REVIEW: frozenset({S.APPROVED, S.REJECTED}),
    S.APPROVED: frozenset({S.SETTLED, S.IN_REVIEW}),
    S.REJECTED: frozenset({S.IN_REVIEW}),
    S.SETTLED: frozenset({S.CLAWED_BACK}),
    S.CLAWED_BACK: frozenset(),
}


def check_transition(current: str, target: str) -> ProofState:
    """Return the target state, or raise IllegalTransition naming both ends."""
    return checked_transition("proof", ProofState, TRANSITIONS, current, target)


class Proof(db.Model):
    __tablename__ = "proofs"
    __table_args__ = (
        sa.Index("ix_proofs_state_id", "state", "id"),
        sa.Index("ix_proofs_worker_submitted", "worker_id", "submitted_at"),
        sa.Index("ix_proofs_campaign_submitted", "campaign_id", "submitted_at"),
        # Evidence keys are looked up within a time window: with the time in the index, a busy
        # address or a farm's fingerprint reads only the rows inside the window from the table.
        sa.Index("ix_proofs_ip_hash_submitted", "ip_hash", "submitted_at"),
        sa.Index("ix_proofs_ip_prefix_hash_submitted", "ip_prefix_hash", "submitted_at"),
        sa.Index("ix_proofs_device_fp_hash_submitted", "device_fp_hash", "submitted_at"),
        sa.Index("ix_proofs_screenshot_sha256_submitted", "screenshot_sha256", "submitted_at"),
        # A campaign's live proofs are counted at every intake (budget and cap): answered from the
        # index alone once the table is vacuumed, instead of one heap page per proof.
        sa.Index("ix_proofs_campaign_state", "campaign_id", "state"),
        # The retention job reads only rows it has not purged yet, oldest first.
        sa.Index("ix_proofs_unpurged_submitted", "submitted_at", postgresql_where=sa.text("pii_purged_at IS NULL"),
                 sqlite_where=sa.text("pii_purged_at IS NULL")),
    )

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    campaign_id: Mapped[str] = mapped_column(sa.ForeignKey("campaigns.id"))
    worker_id: Mapped[str] = mapped_column(sa.ForeignKey("workers.id"))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    watch_seconds: Mapped[int | None] = mapped_column()
    user_agent: Mapped[str | None] = mapped_column(sa.Text)
    comment_text: Mapped[str | None] = mapped_column(sa.Text)
    screenshot_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    screenshot_phash: Mapped[str | None] = mapped_column(sa.String(16))

    ip_enc: Mapped[str | None] = mapped_column(sa.Text)  # None once the retention job purged it
    ip_hash: Mapped[str] = mapped_column(sa.String(32))
    ip_prefix_hash: Mapped[str] = mapped_column(sa.String(32))
    ip_version: Mapped[int] = mapped_column(sa.SmallInteger)
    ip_country: Mapped[str | None] = mapped_column(sa.String(8))
    ip_asn_name: Mapped[str | None] = mapped_column(sa.String(200))
    ip_asn_cidr: Mapped[str | None] = mapped_column(sa.String(64))

    device_present: Mapped[bool] = mapped_column(default=False)
    device_fp_hash: Mapped[str | None] = mapped_column(sa.String(32))
    device_canvas_hash: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    device_platform: Mapped[str | None] = mapped_column(sa.String(64))
    device_os: Mapped[str | None] = mapped_column(sa.String(64))
    device_screen: Mapped[str | None] = mapped_column(sa.String(32))
    device_timezone: Mapped[str | None] = mapped_column(sa.String(64))
    device_language: Mapped[str | None] = mapped_column(sa.String(32))
    device_webdriver: Mapped[bool | None] = mapped_column()
    device_emulator: Mapped[bool | None] = mapped_column()
    device_touch_points: Mapped[int | None] = mapped_column()
    device_hardware_concurrency: Mapped[int | None] = mapped_column()
    device_webgl_renderer: Mapped[str | None] = mapped_column(sa.String(200))

    state: Mapped[str] = mapped_column(sa.String(16), default=ProofState.RECEIVED.value)
    source: Mapped[str] = mapped_column(sa.String(16), default="api")
    ingested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Set by the retention job when it dropped the raw address and device detail (app/admin/services/retention.py).
    pii_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def transition(self, target: ProofState | str) -> None:
        """Move to `target` or raise IllegalTransition; callers write the matching audit row."""
        value = target.value if isinstance(target, ProofState) else target
        self.state = check_transition(self.state, value).value
        self.state_changed_at = utcnow()


# campaigns.proofs_received follows every insert into proofs, whichever code (or COPY) inserts. On
# PostgreSQL one trigger per statement adds each campaign's inserted rows (the transition table holds
# only the rows an ON CONFLICT DO NOTHING really inserted), locking the campaigns in id order, as
# intake does, so statements that insert into the same campaigns wait for each other instead of
# deadlocking; on SQLite (one writer at a time) a trigger per row. Migration 0223 installs the same.
# A long transaction that inserts row by row (`flask import`) would hold those locks, and stall the
# API's intake on its campaigns, for all its length: it sets workbench.defer_received_count and adds
# its proofs in one sorted update right after proofs.jsonl (app/money/services/funding.py).
RECEIVED_COUNTER_DDL = {
    "postgresql": (
        "CREATE OR REPLACE FUNCTION count_received_proofs() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF current_setting('workbench.defer_received_count', true) = 'on' THEN RETURN NULL; END IF; "
        "PERFORM 1 FROM campaigns WHERE id IN (SELECT campaign_id FROM inserted_proofs) ORDER BY id FOR UPDATE; "
        "UPDATE campaigns SET proofs_received = campaigns.proofs_received + added.n FROM "
        "(SELECT campaign_id, count(*) AS n FROM inserted_proofs GROUP BY campaign_id) AS added "
        "WHERE campaigns.id = added.campaign_id; RETURN NULL; END $$",
        "CREATE TRIGGER proofs_count_received AFTER INSERT ON proofs REFERENCING NEW TABLE AS inserted_proofs "
        "FOR EACH STATEMENT EXECUTE FUNCTION count_received_proofs()",
    ),
    "sqlite": (
        "CREATE TRIGGER proofs_count_received AFTER INSERT ON proofs FOR EACH ROW BEGIN "
        "UPDATE campaigns SET proofs_received = proofs_received + 1 WHERE id = NEW.campaign_id; END",
    ),
}
for _dialect, _statements in RECEIVED_COUNTER_DDL.items():
    for _statement in _statements:
        sa.event.listen(Proof.__table__, "after_create", sa.DDL(_statement).execute_if(dialect=_dialect))


class ProofScore(db.Model):
    """The latest score of a proof; a rescore replaces it (history lives in audit events)."""

    __tablename__ = "proof_scores"
    __table_args__ = (sa.Index("ix_proof_scores_route_risk", "route", "risk_score"),)

    proof_id: Mapped[str] = mapped_column(sa.ForeignKey("proofs.id"), primary_key=True)
    risk_score: Mapped[float] = mapped_column(sa.Float)
    rule_score: Mapped[float | None] = mapped_column(sa.Float)
    model_score: Mapped[float | None] = mapped_column(sa.Float)
    route: Mapped[str] = mapped_column(sa.String(16))
    reasons: Mapped[str] = mapped_column(sa.Text, default="")  # signal codes joined by ';'
    signals: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{code, score, reason}]
    explanation: Mapped[list | None] = mapped_column(sa.JSON)  # model feature contributions
    ruleset_version: Mapped[int | None] = mapped_column()
    model_version: Mapped[str | None] = mapped_column(sa.String(64))
    degraded: Mapped[bool] = mapped_column(default=False)
    scored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

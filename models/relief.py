"""Entity-level relief: one signal (or, as an allowlist, every linkage signal) muted for one worker,
address, device or campaign until it expires or someone lifts it. Scoring reads the active ones
(app/scoring/services/mutes.py); review_rules/relief.py says what a mute does to a score."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, db, utcnow

MUTE_ENTITY_KINDS = ("worker", "address", "device", "campaign")


class SignalMute(db.Model):
    """`signal_code` does not count for proofs of the entity (`entity_kind`, `entity_value`) from
    `created_at` until `expires_at`, unless lifted before. `signal_code` "*" is an allowlist.

    `entity_value` is what the proof's own column holds: a worker or campaign id, or the keyed hash
    of an address or device fingerprint (never the address itself); `source_proof_id` is the proof
    the relief was given from, so a person can tell which address or device a hash stands for."""

    __tablename__ = "signal_mutes"
    __table_args__ = (sa.Index("ix_signal_mutes_active", "lifted_at", "expires_at"),
                      sa.Index("ix_signal_mutes_entity", "entity_kind", "entity_value"))

    id: Mapped[int] = mapped_column(primary_key=True)
    signal_code: Mapped[str] = mapped_column(sa.String(64))
    entity_kind: Mapped[str] = mapped_column(sa.String(16))
    entity_value: Mapped[str] = mapped_column(sa.String(128))
    source_proof_id: Mapped[str | None] = mapped_column(sa.String(64))
    reason: Mapped[str] = mapped_column(sa.Text)
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lifted_by: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"))
    lift_reason: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def allowlist(self) -> bool:
        return self.signal_code == "*"

    def state(self, now: datetime) -> str:
        """active, expired or lifted."""
        if self.lifted_at is not None:
            return "lifted"
        return "active" if self.expires_at > now else "expired"

"""The money aggregate: a double-entry ledger, payouts with their state machine, and fraud flags.

Every movement of money is a `LedgerEntry` whose `LedgerPosting` rows sum to zero. A posting's
amount is signed integer cents: positive means money arrives in the account, negative means it
leaves. An account's `balance` is a cache of the sum of its postings, written in the same
transaction as the postings, and `flask ledger verify` proves the two agree.
"""
from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from models.base import UTCDateTime, checked_transition, db, utcnow

# SQLite only auto-numbers an INTEGER PRIMARY KEY; PostgreSQL gets 64-bit ids.
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AccountKind(enum.StrEnum):
    BRAND_FUNDING = "brand_funding"  # outside money a brand paid in; balance = -(total funded)
    BRAND_ESCROW = "brand_escrow"  # a brand's escrow, one sub-account per campaign
    BRAND_REFUNDS = "brand_refunds"  # money returned to a brand; balance = total refunded
    WORKER_PAYABLE = "worker_payable"  # owed to a worker; negative after a clawback of paid money
    PLATFORM_REVENUE = "platform_revenue"  # commission earned
    PAYOUTS_CLEARING = "payouts_clearing"  # handed to the payment provider, not yet confirmed
    PAYOUTS_DISBURSED = "payouts_disbursed"  # confirmed paid to workers (outside the platform)


class EntryKind(enum.StrEnum):
    FUND = "fund"
    SETTLE = "settle"
    CLAWBACK = "clawback"
    REFUND = "refund"
    PAYOUT = "payout"
    PAYOUT_CONFIRM = "payout_confirm"
    PAYOUT_CANCEL = "payout_cancel"


class LedgerAccount(db.Model):
    __tablename__ = "ledger_accounts"
    __table_args__ = (sa.Index("ix_ledger_accounts_kind_worker", "kind", "worker_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    brand_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    campaign_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    worker_id: Mapped[str | None] = mapped_column(sa.String(64))
    balance: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerEntry(db.Model):
    """One balanced movement. `key` names its cause, so posting the same cause twice is refused."""

    __tablename__ = "ledger_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(32))
    proof_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    campaign_id: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    # brand_id / worker_id are not indexed (each index slows the settlement hot path); screens find
    # an owner's entries through its accounts' postings instead.
    brand_id: Mapped[str | None] = mapped_column(sa.String(64))
    worker_id: Mapped[str | None] = mapped_column(sa.String(64))
    payout_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    memo: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerPosting(db.Model):
    """One leg of an entry; an entry touches an account at most once."""

    __tablename__ = "ledger_postings"
    __table_args__ = (sa.Index("ix_ledger_postings_account_amount", "account_id", "amount"),)

    entry_id: Mapped[int] = mapped_column(sa.BigInteger, sa.ForeignKey("ledger_entries.id"), primary_key=True)
    account_id: Mapped[int] = mapped_column(sa.BigInteger, sa.ForeignKey("ledger_accounts.id"), primary_key=True)
    amount: Mapped[int] = mapped_column(sa.BigInteger)


class PayoutState(enum.StrEnum):
    PENDING = "pending"  # money moved payable -> clearing, waiting to be exported
    SENT = "sent"  # in a file handed to the payment provider
    CONFIRMED = "confirmed"  # the provider paid; money moved clearing -> disbursed
    FAILED = "failed"  # the provider could not pay; money waits in clearing
    RETRIED = "retried"  # queued for the next export
    CANCELLED = "cancelled"  # money moved back clearing -> payable


P = PayoutState
PAYOUT_TRANSITIONS: dict[PayoutState, frozenset[PayoutState]] = {
    P.PENDING: frozenset({P.SENT, P.CANCELLED}),
    P.SENT: frozenset({P.CONFIRMED, P.FAILED}),
    P.FAILED: frozenset({P.RETRIED, P.CANCELLED}),
    P.RETRIED: frozenset({P.SENT, P.CANCELLED}),
    P.CONFIRMED: frozenset(),
    P.CANCELLED: frozenset(),
}
# Money still with the provider or about to go there: the clearing account must hold exactly this.
PAYOUT_IN_FLIGHT = (P.PENDING.value, P.SENT.value, P.FAILED.value, P.RETRIED.value)


def check_payout_transition(current: str, target: str) -> PayoutState:
    """Return the target payout state, or raise IllegalTransition naming both ends."""
    return checked_transition("payout", PayoutState, PAYOUT_TRANSITIONS, current, target)


class PayoutBatch(db.Model):
    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(sa.String(120))
    payout_count: Mapped[int] = mapped_column(default=0)
    total_cents: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class Payout(db.Model):
    __tablename__ = "payouts"
    __table_args__ = (
        sa.UniqueConstraint("batch_id", "worker_id"),
        sa.Index("ix_payouts_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("payout_batches.id"))
    worker_id: Mapped[str] = mapped_column(sa.ForeignKey("workers.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(sa.BigInteger)
    state: Mapped[str] = mapped_column(sa.String(16), default=PayoutState.PENDING.value)
    attempts: Mapped[int] = mapped_column(default=0)  # exports so far; the provider reference carries it
    failure_reason: Mapped[str | None] = mapped_column(sa.String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def reference(self) -> str:
        """The id a payment provider sees; a new attempt gets a new reference so it is never deduplicated away."""
        return f"wb-payout-{self.id}-{max(self.attempts, 1)}"

    def transition(self, target: PayoutState | str) -> None:
        """Move to `target` or raise IllegalTransition; callers post the matching entry and audit row."""
        value = target.value if isinstance(target, PayoutState) else target
        self.state = check_payout_transition(self.state, value).value
        self.updated_at = utcnow()


FLAG_KINDS = ("ring", "linked_rejection", "chargeback", "manual")


class FraudFlag(db.Model):
    """An open suspicion. On a proof it stops automatic settlement; on a worker it holds payouts."""

    __tablename__ = "fraud_flags"
    __table_args__ = (
        sa.Index("ix_fraud_flags_worker_status", "worker_id", "status"),
        sa.Index("ix_fraud_flags_proof_status", "proof_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    worker_id: Mapped[str] = mapped_column(sa.ForeignKey("workers.id"))
    proof_id: Mapped[str | None] = mapped_column(sa.ForeignKey("proofs.id"))
    kind: Mapped[str] = mapped_column(sa.String(32))
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default="open")  # open / resolved
    opened_by: Mapped[str] = mapped_column(sa.String(120))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    resolved_by: Mapped[str | None] = mapped_column(sa.String(120))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(sa.Text)

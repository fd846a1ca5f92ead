"""Settlement: approved proofs pay out of escrow into worker payables and platform revenue.

A proof is *eligible* when it is `approved`, its newest review decision approves it, it has no
open fraud flag, no open compliance case holds its campaign or brand, and, when that decision was
made by policy (actor_kind `system`), the hold window (SETTLEMENT_HOLD_HOURS) has passed.
Human and imported approvals settle at once.

`settle_chunk` settles one chunk in the caller's transaction: it takes row locks on the chunk's
proofs with SKIP LOCKED (PostgreSQL), so concurrent settlement workers split the work instead of
waiting or paying twice; the `settle:<proof>` idempotency key is the second guard. The proof moves
to `settled` in the same transaction as its entry and the chunk's audit row.

Rounding: commission = reward x rate rounded half-up to a whole cent (the rate taken as the
decimal it is written as, so 0.145 x 100 = 14.5 -> 15); the worker gets reward - commission, so
every entry balances exactly.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

import sqlalchemy as sa

from app.compliance.services.case_holds import campaign_held
from app.money.services import ledger
from app.platform.audit import record
from app.platform.sql import is_postgres
from models import Campaign, EntryKind, FraudFlag, Proof, ProofState, ReviewDecision, db

PROOFS = Proof.__table__
DECISIONS = ReviewDecision.__table__


class SettlementRace(ledger.LedgerError):
    """A proof changed state under a settlement chunk; the chunk is rolled back and retried later."""


@lru_cache(maxsize=4096)
def commission_cents(reward_cents: int, rate: float) -> int:
    """reward x rate, rounded half-up to a whole cent, the rate read as the decimal it prints as."""
    exact = Decimal(reward_cents) * Decimal(repr(float(rate)))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclass
class SettlementTotals:
    proofs: int = 0
    worker_cents: int = 0
    commission_cents: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    last_id: str | None = None
    proof_ids: list[str] = field(default_factory=list)

    def add(self, other: SettlementTotals) -> None:
        self.proofs += other.proofs
        self.worker_cents += other.worker_cents
        self.commission_cents += other.commission_cents
        for reason, count in other.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + count

    def line(self) -> str:
        """The summary scripts read: exactly this shape, always the last line of `flask settle`."""
        return (f"settled {self.proofs} proofs, {self.worker_cents} cents to workers, "
                f"{self.commission_cents} cents commission")


def newest_decision_is(d: sa.Table) -> sa.ColumnElement[bool]:
    """SQL condition: the decision row `d` is the newest for its proof (by decided_at, then id)."""
    newer = DECISIONS.alias("newer")
    return ~sa.exists().where(newer.c.proof_id == d.c.proof_id, sa.or_(
        newer.c.decided_at > d.c.decided_at, sa.and_(newer.c.decided_at == d.c.decided_at, newer.c.id > d.c.id)))


def _open_flag() -> sa.ColumnElement[bool]:
    return sa.exists().where(FraudFlag.proof_id == PROOFS.c.id, FraudFlag.status == "open")


def eligible_query(now: datetime, hold_hours: int) -> sa.Select:
    """Approved proofs that may settle now, with what settling them needs, in id order."""
    d = DECISIONS.alias("d")
    camp = Campaign.__table__
    cutoff = now - timedelta(hours=hold_hours)
    return (sa.select(PROOFS.c.id, PROOFS.c.worker_id, PROOFS.c.campaign_id, camp.c.brand_id, camp.c.reward_cents,
                      camp.c.commission_rate)
            .join(d, d.c.proof_id == PROOFS.c.id).join(camp, camp.c.id == PROOFS.c.campaign_id)
            .where(PROOFS.c.state == ProofState.APPROVED.value, d.c.decision == "approved", newest_decision_is(d),
                   sa.or_(d.c.actor_kind != "system", d.c.decided_at <= cutoff), ~_open_flag(),
                   ~campaign_held(camp.c.id, camp.c.brand_id))
            .order_by(PROOFS.c.id))


def waiting(now: datetime, hold_hours: int) -> dict[str, int]:
    """Approved proofs that did not settle, by reason: in the hold window, flagged, held by a case."""
    d = DECISIONS.alias("d")
    cutoff = now - timedelta(hours=hold_hours)
    base = (sa.select(sa.func.count()).select_from(PROOFS).join(d, d.c.proof_id == PROOFS.c.id)
            .where(PROOFS.c.state == ProofState.APPROVED.value, newest_decision_is(d)))
    in_hold = db.session.scalar(base.where(d.c.decision == "approved", d.c.actor_kind == "system",
                                           d.c.decided_at > cutoff, ~_open_flag())) or 0
    flagged = db.session.scalar(base.where(_open_flag())) or 0
    camp = Campaign.__table__
    cased = db.session.scalar(base.join(camp, camp.c.id == PROOFS.c.campaign_id).where(
        d.c.decision == "approved", campaign_held(camp.c.id, camp.c.brand_id))) or 0
    return {"in the hold window": in_hold, "with an open flag": flagged, "held by a compliance case": cased}


def _accounts_for(rows: list) -> tuple[dict[str, int], dict[str, int], int]:
    """(escrow account per campaign, payable account per worker, revenue account)."""
    escrow = dict(db.session.execute(sa.select(ledger.ACCOUNTS.c.campaign_id, ledger.ACCOUNTS.c.id).where(
        ledger.ACCOUNTS.c.kind == "brand_escrow",
        ledger.ACCOUNTS.c.campaign_id.in_({r.campaign_id for r in rows}))).all())
    codes = ledger.ensure_accounts([ledger.worker_payable(w) for w in {r.worker_id for r in rows}]
                                   + [ledger.PLATFORM_REVENUE])
    payable = {code.split(":", 1)[1]: acc for code, acc in codes.items() if code.startswith("worker_payable:")}
    return escrow, payable, codes[ledger.PLATFORM_REVENUE.code]


def _drafts(rows: list, totals: SettlementTotals) -> list[ledger.Draft]:
    """Settlement entries for the rows escrow can pay, in id order; the rest are counted as skipped."""
    escrow, payable, revenue = _accounts_for(rows)
    balances = ledger.lock_accounts([*escrow.values(), *payable.values(), revenue])
    drafts = []
    for row in rows:
        escrow_id = escrow.get(row.campaign_id)
        if escrow_id is None:
            totals.skipped["campaign not funded"] = totals.skipped.get("campaign not funded", 0) + 1
            continue
        if balances[escrow_id] < row.reward_cents:
            totals.skipped["escrow short"] = totals.skipped.get("escrow short", 0) + 1
            continue
        balances[escrow_id] -= row.reward_cents
        commission = commission_cents(row.reward_cents, row.commission_rate)
        drafts.append(ledger.Draft(
            key=f"settle:{row.id}", kind=EntryKind.SETTLE.value, proof_id=row.id, campaign_id=row.campaign_id,
            brand_id=row.brand_id, worker_id=row.worker_id,
            legs={escrow_id: -row.reward_cents, payable[row.worker_id]: row.reward_cents - commission,
                  revenue: commission}))
    return drafts


def settle_chunk(*, now: datetime, hold_hours: int, limit: int, after: str | None = None) -> SettlementTotals:
    """Settle up to `limit` eligible proofs with ids above `after`; the caller commits.

    `last_id` of the result is where the next chunk starts (None when nothing was left).
    """
    query = eligible_query(now, hold_hours).limit(limit)
    if after is not None:
        query = query.where(PROOFS.c.id > after)
    if is_postgres():
        query = query.with_for_update(of=PROOFS, skip_locked=True)
    rows = db.session.execute(query).all()
    totals = SettlementTotals(last_id=rows[-1].id if rows else None)
    if not rows:
        return totals
    posted = ledger.post(_drafts(rows, totals), now=now, locked=True)
    if len(posted) < len(rows) - sum(totals.skipped.values()):
        totals.skipped["already in the ledger"] = len(rows) - sum(totals.skipped.values()) - len(posted)
    if not posted:
        return totals
    ids = [d.proof_id for d in posted]
    moved = db.session.execute(
        sa.update(PROOFS).where(ledger.id_filter(PROOFS.c.id, ids), PROOFS.c.state == ProofState.APPROVED.value)
        .values(state=ProofState.SETTLED.value, state_changed_at=now)).rowcount
    if moved != len(ids):
        raise SettlementRace(f"{len(ids) - moved} proofs left `approved` while their chunk settled")
    revenue = ledger.account_ids([ledger.PLATFORM_REVENUE.code])[ledger.PLATFORM_REVENUE.code]
    totals.proofs = len(posted)
    totals.commission_cents = sum(d.legs.get(revenue, 0) for d in posted)
    totals.worker_cents = sum(-min(d.legs.values()) for d in posted) - totals.commission_cents
    totals.proof_ids = ids
    record("ledger.settle", "settlement", f"{len(ids)} proofs", actor_label="settlement", data={
        "proof_ids": ids, "worker_cents": totals.worker_cents, "commission_cents": totals.commission_cents})
    return totals

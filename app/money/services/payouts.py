"""Payouts: batches that move worker payables out through a payment provider.

Creating a batch takes every worker whose payable reaches PAYOUT_MINIMUM_CENTS, except new
accounts (younger than NEW_WORKER_PAYOUT_HOLD_DAYS), workers with an open fraud flag and workers
attached to an open compliance case, and moves
each amount payable -> clearing (`payout:<batch>:<worker>`). Exporting writes the provider's CSV
and marks the payouts `sent`; the provider's answer confirms them (clearing -> disbursed) or fails
them (money waits in clearing for a retry); a cancel moves the money back to the payable.
"""
from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import IO

import sqlalchemy as sa

from app.compliance.services.case_holds import worker_held
from app.money.services import ledger
from app.money.services.holds import open_flag_filter
from app.platform.audit import record
from app.platform.spreadsheet import safe_cell
from app.platform.sql import is_postgres
from models import DomainError, EntryKind, Payout, PayoutBatch, PayoutState, Worker, db, utcnow

CSV_COLUMNS = ("reference", "payout_id", "batch_id", "worker_id", "amount_cents", "amount", "currency")
RESULT_STATES = (PayoutState.CONFIRMED.value, PayoutState.FAILED.value)


class PayoutError(DomainError):
    status_code = 409


@dataclass
class BatchResult:
    batch: PayoutBatch | None = None
    held: Counter = field(default_factory=Counter)  # reason -> workers held back


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _payable_rows(minimum: int) -> list:
    accounts = ledger.ACCOUNTS
    query = (sa.select(accounts.c.id, accounts.c.worker_id, accounts.c.balance, Worker.created_at,
                       open_flag_filter(accounts.c.worker_id).label("flagged"),
                       worker_held(accounts.c.worker_id).label("cased"))
             .join(Worker, Worker.id == accounts.c.worker_id)
             .where(accounts.c.kind == "worker_payable", accounts.c.balance >= minimum).order_by(accounts.c.id))
    if is_postgres():
        query = query.with_for_update(of=accounts)
    return db.session.execute(query).all()


def create_batch(*, minimum: int, new_account_days: int, now: datetime | None = None,
                 actor_label: str = "system") -> BatchResult:
    """One payout per eligible worker for their whole payable; returns the batch (None if nobody) and holds."""
    now = now or utcnow()
    result = BatchResult()
    # Every payout operation takes the clearing account's lock first, so they queue on it instead of
    # locking payables and clearing in different orders (a deadlock).
    clearing = ledger.ensure_accounts([ledger.PAYOUTS_CLEARING])[ledger.PAYOUTS_CLEARING.code]
    ledger.lock_accounts([clearing])
    result.held["below the minimum or negative after a clawback"] = db.session.scalar(
        sa.select(sa.func.count()).select_from(ledger.ACCOUNTS).where(
            ledger.ACCOUNTS.c.kind == "worker_payable", ledger.ACCOUNTS.c.balance != 0,
            ledger.ACCOUNTS.c.balance < minimum)) or 0
    eligible = []
    for row in _payable_rows(max(minimum, 1)):
        if row.flagged:
            result.held["open fraud case"] += 1
        elif row.cased:
            result.held["open compliance case"] += 1
        elif row.created_at > now - timedelta(days=new_account_days):
            result.held["new account"] += 1
        else:
            eligible.append(row)
    if not eligible:
        return result
    batch = PayoutBatch(created_at=now, created_by=actor_label, payout_count=len(eligible),
                        total_cents=sum(r.balance for r in eligible))
    db.session.add(batch)
    db.session.flush()
    ids = dict(db.session.execute(sa.insert(Payout).returning(Payout.worker_id, Payout.id), [
        {"batch_id": batch.id, "worker_id": r.worker_id, "amount_cents": r.balance, "state": "pending",
         "attempts": 0, "created_at": now, "updated_at": now} for r in eligible]).all())
    ledger.post([ledger.Draft(key=f"payout:{batch.id}:{r.worker_id}", kind=EntryKind.PAYOUT.value,
                              worker_id=r.worker_id, payout_id=ids[r.worker_id],
                              legs={r.id: -r.balance, clearing: r.balance}) for r in eligible], now=now, locked=True)
    record("payout.batch_created", "payout_batch", str(batch.id), actor_label=actor_label,
           data={"payouts": len(eligible), "cents": batch.total_cents, "held": dict(result.held)})
    result.batch = batch
    return result


def _locked_payout(payout_id: int) -> Payout:
    return ledger.locked(Payout, payout_id, "payout")


def _move_money(payout: Payout, target: PayoutState) -> None:
    """The entry a transition needs: confirmed pays out of clearing, cancelled returns to the payable."""
    if target not in (PayoutState.CONFIRMED, PayoutState.CANCELLED):
        return
    confirmed = target is PayoutState.CONFIRMED
    destination = ledger.PAYOUTS_DISBURSED if confirmed else ledger.worker_payable(payout.worker_id)
    ids = ledger.ensure_accounts([ledger.PAYOUTS_CLEARING, destination])
    ledger.lock_accounts([ids[ledger.PAYOUTS_CLEARING.code]])  # clearing first, like create_batch
    kind = EntryKind.PAYOUT_CONFIRM if confirmed else EntryKind.PAYOUT_CANCEL
    ledger.post([ledger.Draft(key=f"payout:{payout.batch_id}:{payout.worker_id}:{target.value}", kind=kind.value,
                              worker_id=payout.worker_id, payout_id=payout.id,
                              legs={ids[ledger.PAYOUTS_CLEARING.code]: -payout.amount_cents,
                                    ids[destination.code]: payout.amount_cents})])


def mark_payout(payout_id: int, target: str, *, reason: str | None = None, attempt: int | None = None,
                actor_label: str = "system") -> Payout:
    """Move a payout along its state machine, posting the money movement the move implies.

    `attempt` (from a provider reference) must be the latest export, so a late answer about an
    earlier attempt cannot confirm or fail a retry.
    """
    payout = _locked_payout(payout_id)
    if attempt is not None and attempt != payout.attempts:
        raise PayoutError(f"payout {payout_id}: answer is about attempt {attempt}, the latest is {payout.attempts}")
    previous = payout.state
    payout.transition(target)  # raises IllegalTransition for a move the machine does not allow
    state = PayoutState(payout.state)
    if state is PayoutState.SENT:
        payout.attempts += 1
    if state is PayoutState.FAILED:
        payout.failure_reason = (reason or "no reason given")[:200]
    _move_money(payout, state)
    record(f"payout.{state.value}", "payout", str(payout.id), actor_label=actor_label,
           data={"from": previous, "amount_cents": payout.amount_cents, "worker_id": payout.worker_id,
                 "reason": reason})
    db.session.flush()
    return payout


def exportable(batch_id: int | None = None) -> list[Payout]:
    """Payouts waiting to go to the provider (pending or retried), minus workers with an open fraud case."""
    query = (sa.select(Payout).where(Payout.state.in_((PayoutState.PENDING.value, PayoutState.RETRIED.value)),
                                     ~open_flag_filter(Payout.worker_id), ~worker_held(Payout.worker_id))
                 .order_by(Payout.id))
    if batch_id is not None:
        query = query.where(Payout.batch_id == batch_id)
    return list(db.session.scalars(query))


def export_csv(handle: IO[str], batch_id: int | None = None, *, actor_label: str = "system") -> int:
    """Write the provider file (one row per payout) and mark those payouts sent; returns the row count."""
    writer = csv.writer(handle)
    writer.writerow(CSV_COLUMNS)
    count = 0
    for payout in exportable(batch_id):
        mark_payout(payout.id, PayoutState.SENT.value, actor_label=actor_label)
        writer.writerow([safe_cell(v) for v in (payout.reference, payout.id, payout.batch_id, payout.worker_id,
                                                payout.amount_cents, _money(payout.amount_cents), "CNY")])
        count += 1
    return count


def apply_results(rows: Iterable[dict], *, actor_label: str = "provider") -> tuple[Counter, list[str]]:
    """Apply a provider result file (reference,status[,reason]); returns (counts by state, problems)."""
    counts: Counter = Counter()
    problems: list[str] = []
    for number, row in enumerate(rows, start=2):
        reference, status = (row.get("reference") or "").strip(), (row.get("status") or "").strip().lower()
        parts = reference.split("-")
        if len(parts) != 4 or parts[:2] != ["wb", "payout"] or not (parts[2].isdigit() and parts[3].isdigit()):
            problems.append(f"line {number}: reference {reference!r} is not one of ours (wb-payout-ID-ATTEMPT)")
            continue
        if status not in RESULT_STATES:
            problems.append(f"line {number}: status {status!r} must be confirmed or failed")
            continue
        try:
            with db.session.begin_nested():
                mark_payout(int(parts[2]), status, reason=row.get("reason"), attempt=int(parts[3]),
                            actor_label=actor_label)
        except DomainError as exc:
            problems.append(f"line {number}: {reference}: {exc}")
            continue
        counts[status] += 1
    return counts, problems

"""Statements read from postings: per brand, per campaign, per worker, platform revenue per day.

Every figure is a sum of postings grouped by the account it landed on and the kind of entry that
put it there, so a statement can never disagree with the ledger it summarises.
"""
from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from typing import IO, Any

import sqlalchemy as sa

from app.money.services import ledger
from app.money.services.funding import open_commitments
from app.platform.spreadsheet import safe_cell
from models import Brand, Campaign, Payout, db
from models.ledger import PAYOUT_IN_FLIGHT

E, P, A = ledger.ENTRIES, ledger.POSTINGS, ledger.ACCOUNTS


@dataclass
class BrandStatement:
    brand_id: str
    name: str
    funded: int = 0
    spent: int = 0  # rewards paid out of escrow, net of clawbacks returned
    refunded: int = 0
    commission: int = 0  # platform commission earned on this brand's completions, net of clawbacks
    held: int = 0  # escrow balance
    reserved: int = 0  # part of `held` claimed by proofs not settled or rejected yet
    available: int = 0  # held - reserved: what further completions or a refund can use


@dataclass
class CampaignStatement:
    campaign_id: str
    status: str
    budget: int
    funded: int = 0
    spent: int = 0
    refunded: int = 0
    held: int = 0
    reserved: int = 0


@dataclass
class WorkerStatement:
    worker_id: str
    earned: int = 0  # net of commission
    clawed_back: int = 0
    paid_out: int = 0  # moved to payouts (in flight or confirmed), net of cancellations
    in_flight: int = 0  # payouts not confirmed yet
    balance: int = 0  # payable now; negative while a clawback is being recovered


def _escrow_sums(group_column: sa.ColumnElement, where: Any = sa.true()) -> dict[tuple[str, str], int]:
    rows = db.session.execute(
        sa.select(group_column, E.c.kind, sa.func.sum(P.c.amount)).join(E, E.c.id == P.c.entry_id)
        .join(A, A.c.id == P.c.account_id).where(A.c.kind == "brand_escrow", where)
        .group_by(group_column, E.c.kind)).all()
    return {(owner, kind): int(total) for owner, kind, total in rows}


def _fill(statement: BrandStatement | CampaignStatement, sums: dict[tuple[str, str], int], owner: str) -> None:
    statement.funded = sums.get((owner, "fund"), 0)
    statement.spent = -(sums.get((owner, "settle"), 0) + sums.get((owner, "clawback"), 0))
    statement.refunded = -sums.get((owner, "refund"), 0)
    statement.held = statement.funded - statement.spent - statement.refunded


def brand_statements() -> list[BrandStatement]:
    """One statement per brand, brands without money included (all zero)."""
    sums = _escrow_sums(A.c.brand_id)
    commission = dict(db.session.execute(
        sa.select(E.c.brand_id, sa.func.sum(P.c.amount)).join(E, E.c.id == P.c.entry_id)
        .join(A, A.c.id == P.c.account_id).where(A.c.kind == "platform_revenue").group_by(E.c.brand_id)).all())
    campaigns = db.session.execute(sa.select(Campaign.id, Campaign.brand_id)).all()
    reserved: dict[str, int] = defaultdict(int)
    commitments = open_commitments([c.id for c in campaigns])
    for campaign_id, brand_id in campaigns:
        reserved[brand_id] += commitments.get(campaign_id, 0)
    statements = []
    for brand_id, name in db.session.execute(sa.select(Brand.id, Brand.name).order_by(Brand.id)):
        statement = BrandStatement(brand_id, name, commission=int(commission.get(brand_id) or 0),
                                   reserved=reserved[brand_id])
        _fill(statement, sums, brand_id)
        statement.available = statement.held - statement.reserved
        statements.append(statement)
    return statements


def campaign_statements(brand_id: str) -> list[CampaignStatement]:
    """One statement per campaign of a brand."""
    sums = _escrow_sums(A.c.campaign_id, A.c.brand_id == brand_id)
    campaigns = db.session.execute(sa.select(Campaign.id, Campaign.status, Campaign.budget_cents)
                                   .where(Campaign.brand_id == brand_id).order_by(Campaign.id)).all()
    commitments = open_commitments([c.id for c in campaigns])
    statements = []
    for campaign_id, status, budget in campaigns:
        statement = CampaignStatement(campaign_id, status, budget, reserved=commitments.get(campaign_id, 0))
        _fill(statement, sums, campaign_id)
        statements.append(statement)
    return statements


def worker_statements(*, after: str | None = None, limit: int | None = None,
                      worker_id: str | None = None) -> list[WorkerStatement]:
    """Statements of workers with a payable account, in worker id order (keyset: ids above `after`)."""
    accounts = sa.select(A.c.id, A.c.worker_id, A.c.balance).where(A.c.kind == "worker_payable").order_by(A.c.worker_id)
    if after is not None:
        accounts = accounts.where(A.c.worker_id > after)
    if worker_id is not None:
        accounts = accounts.where(A.c.worker_id == worker_id)
    if limit is not None:
        accounts = accounts.limit(limit)
    page = db.session.execute(accounts).all()
    if not page:
        return []
    ids = [row.id for row in page]
    sums = {(acc, kind): int(total) for acc, kind, total in db.session.execute(
        sa.select(P.c.account_id, E.c.kind, sa.func.sum(P.c.amount)).join(E, E.c.id == P.c.entry_id)
        .where(ledger.id_filter(P.c.account_id, ids)).group_by(P.c.account_id, E.c.kind))}
    flight = dict(db.session.execute(
        sa.select(Payout.worker_id, sa.func.sum(Payout.amount_cents)).where(
            Payout.state.in_(PAYOUT_IN_FLIGHT), Payout.worker_id.in_([r.worker_id for r in page]))
        .group_by(Payout.worker_id)).all())
    return [WorkerStatement(
        row.worker_id, earned=sums.get((row.id, "settle"), 0), clawed_back=-sums.get((row.id, "clawback"), 0),
        paid_out=-(sums.get((row.id, "payout"), 0) + sums.get((row.id, "payout_cancel"), 0)),
        in_flight=int(flight.get(row.worker_id) or 0), balance=row.balance) for row in page]


def revenue_by_day(days: int | None = None) -> list[dict[str, Any]]:
    """Platform commission per UTC day (newest first): earned by settlements, returned by clawbacks, net."""
    day = sa.func.date(E.c.created_at)
    rows = db.session.execute(
        sa.select(day, E.c.kind, sa.func.sum(P.c.amount), sa.func.count()).join(E, E.c.id == P.c.entry_id)
        .join(A, A.c.id == P.c.account_id).where(A.c.kind == "platform_revenue")
        .group_by(day, E.c.kind).order_by(day.desc())).all()
    by_day: dict[str, dict[str, Any]] = {}
    for when, kind, total, count in rows:
        entry = by_day.setdefault(str(when), {"day": str(when), "settlements": 0, "commission": 0, "clawed_back": 0})
        if kind == "settle":
            entry["settlements"] += count
            entry["commission"] += int(total)
        else:
            entry["clawed_back"] -= int(total)
    ordered = sorted(by_day.values(), key=lambda r: r["day"], reverse=True)
    for entry in ordered:
        entry["net"] = entry["commission"] - entry["clawed_back"]
    return ordered[:days] if days else ordered


def account_totals() -> dict[str, int]:
    """The sum of cached balances per account kind (all kinds together always sum to 0)."""
    return {kind: int(total) for kind, total in db.session.execute(
        sa.select(A.c.kind, sa.func.sum(A.c.balance)).group_by(A.c.kind).order_by(A.c.kind))}


def recent_entries(*, brand_id: str | None = None, worker_id: str | None = None, limit: int = 50) -> list[dict]:
    """The newest entries about a brand or a worker, with the amount that landed on its own accounts."""
    owner = A.c.brand_id == brand_id if brand_id is not None else A.c.worker_id == worker_id
    own_accounts = sa.select(A.c.id).where(owner)
    rows = db.session.execute(
        sa.select(E.c.id, E.c.key, E.c.kind, E.c.created_at, E.c.proof_id, E.c.campaign_id,
                  sa.func.sum(P.c.amount).label("amount"))
        .join(P, P.c.entry_id == E.c.id).where(P.c.account_id.in_(own_accounts))
        .group_by(E.c.id, E.c.key, E.c.kind, E.c.created_at, E.c.proof_id, E.c.campaign_id)
        .order_by(E.c.id.desc()).limit(limit)).all()
    return [{**row._mapping, "amount": int(row.amount or 0)} for row in rows]  # PostgreSQL sums are Decimal


def write_csv(handle: IO[str], rows: Iterable[Any], columns: Iterable[str] | None = None) -> int:
    """Write dataclass or dict rows as CSV (amounts stay integer cents); returns the row count."""
    rows = list(rows)
    if columns is None:
        columns = [f.name for f in fields(rows[0])] if rows and not isinstance(rows[0], dict) else list(
            rows[0] if rows else [])
    columns = list(columns)
    writer = csv.writer(handle)
    writer.writerow(columns)
    for row in rows:
        values = row if isinstance(row, dict) else {**asdict(row), **{c: getattr(row, c) for c in columns}}
        writer.writerow([safe_cell(values.get(c)) for c in columns])
    return len(rows)

"""The ledger engine: named accounts, balanced entries posted in bulk, cached balances.

Everything that moves money builds `Draft` entries and calls `post`. `post` refuses an entry whose
legs do not sum to zero, skips an entry whose idempotency key is already stored (so a repeated
cause never moves money twice), locks the accounts it touches in id order (no deadlocks between
concurrent posters), writes entries and postings with set-based SQL, and adds each account's
delta to its cached balance in the same transaction. Services add and flush; callers commit.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

import sqlalchemy as sa

from app.platform.bulk import insert_new
from app.platform.sql import is_postgres
from models import AccountKind, DomainError, LedgerAccount, LedgerEntry, LedgerPosting, NotFound, db, utcnow

M = TypeVar("M")

ACCOUNTS = LedgerAccount.__table__
ENTRIES = LedgerEntry.__table__
POSTINGS = LedgerPosting.__table__
ENTRY_DIMS = ("proof_id", "campaign_id", "brand_id", "worker_id", "payout_id", "memo")


class LedgerError(DomainError):
    status_code = 422


class UnbalancedEntry(LedgerError):
    """An entry whose postings do not sum to zero; nothing is written."""


@dataclass(frozen=True)
class AccountSpec:
    code: str
    kind: str
    brand_id: str | None = None
    campaign_id: str | None = None
    worker_id: str | None = None


def brand_funding(brand_id: str) -> AccountSpec:
    return AccountSpec(f"brand_funding:{brand_id}", AccountKind.BRAND_FUNDING.value, brand_id=brand_id)


def brand_escrow(brand_id: str, campaign_id: str) -> AccountSpec:
    return AccountSpec(f"brand_escrow:{brand_id}:{campaign_id}", AccountKind.BRAND_ESCROW.value,
                       brand_id=brand_id, campaign_id=campaign_id)


def brand_refunds(brand_id: str) -> AccountSpec:
    return AccountSpec(f"brand_refunds:{brand_id}", AccountKind.BRAND_REFUNDS.value, brand_id=brand_id)


def worker_payable(worker_id: str) -> AccountSpec:
    return AccountSpec(f"worker_payable:{worker_id}", AccountKind.WORKER_PAYABLE.value, worker_id=worker_id)


PLATFORM_REVENUE = AccountSpec("platform_revenue", AccountKind.PLATFORM_REVENUE.value)
PAYOUTS_CLEARING = AccountSpec("payouts_clearing", AccountKind.PAYOUTS_CLEARING.value)
PAYOUTS_DISBURSED = AccountSpec("payouts_disbursed", AccountKind.PAYOUTS_DISBURSED.value)


@dataclass
class Draft:
    """An entry about to be posted: its key, kind, legs {account_id: cents} and what it is about."""

    key: str
    kind: str
    legs: dict[int, int]
    proof_id: str | None = None
    campaign_id: str | None = None
    brand_id: str | None = None
    worker_id: str | None = None
    payout_id: int | None = None
    memo: str | None = None
    entry_id: int | None = field(default=None, compare=False)

    def check(self) -> None:
        """Raise UnbalancedEntry unless the legs are non-zero integers that sum to zero."""
        self.legs = {acc: amount for acc, amount in self.legs.items() if amount != 0}
        if any(not isinstance(a, int) or isinstance(a, bool) for a in self.legs.values()):
            raise UnbalancedEntry(f"entry {self.key}: amounts must be integer cents")
        if len(self.legs) < 2:
            raise UnbalancedEntry(f"entry {self.key}: needs at least two non-zero postings")
        total = sum(self.legs.values())
        if total != 0:
            raise UnbalancedEntry(f"entry {self.key}: postings sum to {total} cents, not 0")


def locked(model: type[M], key: object, what: str) -> M:
    """Load a row holding its lock (PostgreSQL), so no settlement, review or payout races the change;
    NotFound names `what` when there is no such row."""
    query = sa.select(model).where(model.__mapper__.primary_key[0] == key).execution_options(populate_existing=True)
    if is_postgres():
        query = query.with_for_update()
    row = db.session.scalar(query)
    if row is None:
        raise NotFound(f"{what} {key} does not exist")
    return row


def naive_utc(value: datetime) -> datetime:
    """The stored form of a UTCDateTime column, for set-based SQL that bypasses the type."""
    return value.astimezone(UTC).replace(tzinfo=None)


def ensure_accounts(specs: Iterable[AccountSpec]) -> dict[str, int]:
    """Create the accounts that do not exist yet; returns {code: id} for every spec."""
    wanted = {spec.code: spec for spec in specs}
    if not wanted:
        return {}
    found = account_ids(wanted)
    missing = [spec for code, spec in wanted.items() if code not in found]
    if missing:
        _insert_accounts(missing)  # ON CONFLICT DO NOTHING: a concurrent poster may create one first
        found.update(account_ids([s.code for s in missing]))
    return found


def _insert_accounts(specs: list[AccountSpec]) -> None:
    now = utcnow()
    if is_postgres():
        columns = ("code", "kind", "brand_id", "campaign_id", "worker_id")
        db.session.execute(sa.text(
            f"INSERT INTO ledger_accounts ({', '.join(columns)}, balance, created_at) "
            f"SELECT u.*, 0, CAST(:now AS timestamp) FROM unnest("
            + ", ".join(f"CAST(:{c} AS varchar[])" for c in columns) + ") AS u "
            "ON CONFLICT (code) DO NOTHING"),
            {"now": naive_utc(now), **{c: [getattr(s, c) for s in specs] for c in columns}})
        return
    insert_new(ACCOUNTS, [{"code": s.code, "kind": s.kind, "brand_id": s.brand_id, "campaign_id": s.campaign_id,
                           "worker_id": s.worker_id, "balance": 0, "created_at": now} for s in specs], key="code")


def account_ids(codes: Iterable[str]) -> dict[str, int]:
    """{code: id} for the codes that already have an account."""
    codes = list(codes)
    found: dict[str, int] = {}
    for start in range(0, len(codes), 10_000):
        query = sa.select(ACCOUNTS.c.code, ACCOUNTS.c.id).where(id_filter(ACCOUNTS.c.code, codes[start:start + 10_000]))
        found.update(db.session.execute(query).all())
    return found


def lock_accounts(ids: Iterable[int]) -> dict[int, int]:
    """Lock the accounts (PostgreSQL: FOR UPDATE, in id order) and return their current balances."""
    ordered = sorted(set(ids))
    if not ordered:
        return {}
    query = (sa.select(ACCOUNTS.c.id, ACCOUNTS.c.balance).where(id_filter(ACCOUNTS.c.id, ordered))
             .order_by(ACCOUNTS.c.id))
    if is_postgres():
        query = query.with_for_update()
    return dict(db.session.execute(query).all())


def balance(code: str) -> int:
    """The cached balance of one account (0 when it does not exist yet)."""
    return db.session.scalar(sa.select(ACCOUNTS.c.balance).where(ACCOUNTS.c.code == code)) or 0


def entry_legs(key: str) -> tuple[LedgerEntry | None, dict[int, int]]:
    """The stored entry with this key and its legs {account_id: cents}."""
    entry = db.session.scalar(sa.select(LedgerEntry).where(LedgerEntry.key == key))
    if entry is None:
        return None, {}
    legs = dict(db.session.execute(
        sa.select(POSTINGS.c.account_id, POSTINGS.c.amount).where(POSTINGS.c.entry_id == entry.id)).all())
    return entry, legs


def post(drafts: list[Draft], *, now: datetime | None = None, locked: bool = False) -> list[Draft]:
    """Post balanced entries; returns the drafts actually written (a stored key is skipped).

    `locked=True` says the caller already holds the locks of every account the drafts touch.
    """
    for draft in drafts:
        draft.check()
    keys = [d.key for d in drafts]
    if len(set(keys)) != len(keys):
        raise LedgerError("the same idempotency key appears twice in one posting")
    if not drafts:
        return []
    if not locked:
        lock_accounts(acc for d in drafts for acc in d.legs)
    ids = _insert_entries(drafts, now or utcnow())
    posted = [d for d in drafts if d.key in ids]
    for draft in posted:
        draft.entry_id = ids[draft.key]
    postings = [(d.entry_id, acc, amount) for d in posted for acc, amount in d.legs.items()]
    _insert_postings(postings)
    deltas: dict[int, int] = defaultdict(int)
    for _, acc, amount in postings:
        deltas[acc] += amount
    _apply_deltas(deltas)
    return posted


def _insert_entries(drafts: list[Draft], created_at: datetime) -> dict[str, int]:
    """Insert entries whose key is new; returns {key: id} of the inserted ones."""
    columns = ("key", "kind", *ENTRY_DIMS)
    if is_postgres():
        types = {"payout_id": "bigint"}
        arrays = {c: [getattr(d, c) for d in drafts] for c in columns}
        unnest = ", ".join(f"CAST(:{c} AS {types.get(c, 'varchar')}[])" for c in columns)
        sql = (f"INSERT INTO ledger_entries ({', '.join(columns)}, created_at) "
               f"SELECT u.*, CAST(:created_at AS timestamp) FROM unnest({unnest}) AS u "
               "ON CONFLICT (key) DO NOTHING RETURNING key, id")
        return dict(db.session.execute(sa.text(sql), {**arrays, "created_at": naive_utc(created_at)}).all())
    from sqlalchemy.dialects.sqlite import insert

    rows = [{**{c: getattr(d, c) for c in columns}, "created_at": created_at} for d in drafts]
    stmt = insert(ENTRIES).on_conflict_do_nothing(index_elements=["key"]).returning(ENTRIES.c.key, ENTRIES.c.id)
    found: dict[str, int] = {}
    for start in range(0, len(rows), 500):
        found.update(db.session.execute(stmt.values(rows[start:start + 500])).all())
    return found


def _insert_postings(postings: list[tuple[int, int, int]]) -> None:
    if not postings:
        return
    if is_postgres():
        entry_ids, account_ids_, amounts = (list(col) for col in zip(*postings, strict=True))
        db.session.execute(sa.text(
            "INSERT INTO ledger_postings (entry_id, account_id, amount) "
            "SELECT * FROM unnest(CAST(:e AS bigint[]), CAST(:a AS bigint[]), CAST(:m AS bigint[]))"),
            {"e": entry_ids, "a": account_ids_, "m": amounts})
        return
    db.session.execute(sa.insert(POSTINGS), [{"entry_id": e, "account_id": a, "amount": m} for e, a, m in postings])


def _apply_deltas(deltas: dict[int, int]) -> None:
    changes = {acc: delta for acc, delta in deltas.items() if delta}
    if not changes:
        return
    if is_postgres():
        db.session.execute(sa.text(
            "UPDATE ledger_accounts AS a SET balance = a.balance + d.delta "
            "FROM unnest(CAST(:ids AS bigint[]), CAST(:deltas AS bigint[])) AS d(id, delta) WHERE a.id = d.id"),
            {"ids": list(changes), "deltas": list(changes.values())})
        return
    db.session.execute(
        sa.update(ACCOUNTS).where(ACCOUNTS.c.id == sa.bindparam("acc")).values(
            balance=ACCOUNTS.c.balance + sa.bindparam("delta")),
        [{"acc": acc, "delta": delta} for acc, delta in changes.items()])


def id_filter(column: sa.ColumnElement, ids: list) -> sa.ColumnElement[bool]:
    """`column IN ids`, as one array parameter on PostgreSQL (fast for thousands of ids)."""
    if is_postgres():
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == sa.any_(sa.bindparam(None, list(ids), type_=ARRAY(column.type)))
    return column.in_(list(ids))

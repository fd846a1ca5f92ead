"""The audit trail: every decision, rule change, model promotion and money movement writes here
in the same transaction as the change itself.

Events form a hash chain. Each row stores `prev_hash` (the hash of the event before it) and
`hash` = SHA-256 over a canonical encoding of its own fields and `prev_hash`, so altering,
inserting or deleting a row breaks the chain from that row on (`flask audit verify`).

Concurrent writers: `record()` first updates the single row of `audit_chain_head`. That row lock
(PostgreSQL) or the database write lock (SQLite) is held until the transaction ends, so the next
writer reads the tail only after this one committed or rolled back: one chain, never a fork, and
ids increase in chain order. The price is that audit-writing transactions are serialised from
their first `record()` to their commit, which is why callers record at the end of their work.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models import AuditChainHead, AuditEvent, StaffUser, db, utcnow
from models.governance import canonical_json

GENESIS = "0" * 64
ENCODING = "audit-v1"  # part of every hash: a future encoding can be told apart
HEAD_ID = 1


def at_text(at: datetime) -> str:
    """An event's time as hashed: naive UTC with microseconds and a Z."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds") + "Z"


def canonical(at: str, actor_id: int | None, actor_label: str, action: str, object_type: str, object_id: str,
              data: str | None, before: str | None, after: str | None, reason: str | None, prev_hash: str) -> bytes:
    """The bytes an event's hash covers: a JSON array of its fields in a fixed order, the JSON
    columns as their stored canonical text (`models.governance.canonical_json`)."""
    return json.dumps([ENCODING, at, actor_id, actor_label, action, object_type, object_id, data, before, after,
                       reason, prev_hash], ensure_ascii=False, separators=(",", ":")).encode()


def event_hash(at: datetime, actor_id: int | None, actor_label: str, action: str, object_type: str,
               object_id: str, data: Any, before: Any, after: Any, reason: str | None, prev_hash: str) -> str:
    """Hash of an event given as Python values (the writer's side)."""
    return hashlib.sha256(canonical(at_text(at), actor_id, actor_label, action, object_type, object_id,
                                    canonical_json(data), canonical_json(before), canonical_json(after),
                                    reason, prev_hash)).hexdigest()


def _head() -> sa.Table:
    return AuditChainHead.__table__


def _lock_tail() -> str:
    """Take the chain's lock (held until commit) and return the newest event's hash."""
    head = _head()
    bump = sa.update(head).where(head.c.id == HEAD_ID).values(events=head.c.events).returning(head.c.last_hash)
    last = db.session.execute(bump).scalar()
    if last is None:  # an empty database: create the head once, whoever comes first
        dialect = db.session.get_bind().dialect.name
        insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(head)
        db.session.execute(insert.values(id=HEAD_ID, last_event_id=0, last_hash=GENESIS, events=0)
                           .on_conflict_do_nothing(index_elements=["id"]))
        last = db.session.execute(bump).scalar()
    return last


def serialise(*rows: object) -> None:
    """Take the chain's lock now, before reading what the action depends on: an action that must see
    every earlier one committed (one active rule set or model at a time) then waits for them, as its
    audit row would make it wait anyway, only later. `rows` are read again once the lock is held
    (their own pending changes flushed first, so the re-read keeps them)."""
    if rows:
        db.session.flush()
    _lock_tail()
    for row in rows:
        db.session.refresh(row)


LABEL_CHARS = 256  # audit_events.actor_label and object_id


def bounded(value: object) -> str:
    """An id or label as stored (and hashed): at most LABEL_CHARS characters. Some come from outside
    (an email typed at the sign-in form, an API client's name); a longer one must not fail the action
    it records."""
    text = str(value)
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


def recent_event(action: str, object_id: str, actor_label: str, since: datetime) -> bool:
    """Whether `action` was recorded on `object_id` by `actor_label` at or after `since`."""
    return db.session.scalar(sa.select(AuditEvent.id).where(
        AuditEvent.action == action, AuditEvent.object_id == object_id, AuditEvent.actor_label == actor_label,
        AuditEvent.at >= since).limit(1)) is not None


def record(action: str, object_type: str, object_id: str, *, actor: StaffUser | None = None,
           actor_label: str | None = None, data: dict[str, Any] | None = None, before: Any = None,
           after: Any = None, reason: str | None = None) -> AuditEvent:
    """Append one event to the chain in the caller's transaction (flushed, never committed)."""
    prev = _lock_tail()
    event = AuditEvent(
        at=utcnow(), action=action, object_type=object_type, object_id=bounded(object_id),
        actor_id=actor.id if actor else None,
        actor_label=bounded(actor.email if actor else (actor_label or "system")),
        data=data, before=before, after=after, reason=reason, prev_hash=prev,
    )
    event.hash = event_hash(event.at, event.actor_id, event.actor_label, action, object_type, event.object_id,
                            data, before, after, reason, prev)
    db.session.add(event)
    db.session.flush()
    head = _head()
    db.session.execute(sa.update(head).where(head.c.id == HEAD_ID).values(
        last_event_id=event.id, last_hash=event.hash, events=head.c.events + 1))
    return event


# -- appending inside a caller's statement (PostgreSQL) ------------------------------------------------

def chained_append_sql(when: str) -> str:
    """WITH-clauses that append one event to the chain inside a caller's statement, when the SQL
    condition `when` holds: what `record()` does in three statements, in none of its own.

    `chain_tail` takes the head's row lock (FOR UPDATE returns the newest version, after waiting
    for a concurrent writer's commit), `chain_event` inserts the event with the next id (drawn
    under that lock, so ids follow the chain) and its hash computed by the server over the bytes
    `canonical()` gives (`chained_append_params` sends all of them but the previous hash, which
    ends the array), and `chain_head` moves the head. No row in `chain_event` when the head does
    not exist yet: then call `record()`, which creates it. Use `chained_append_params` for the
    parameters, and take the lock after any lock `record()` callers take first (a campaign row)."""
    head, events = f'"{AuditChainHead.__tablename__}"', f'"{AuditEvent.__tablename__}"'
    return (f"chain_tail AS (SELECT last_hash FROM {head} WHERE id = {HEAD_ID} AND ({when}) FOR UPDATE), "
            f"chain_event AS (INSERT INTO {events} (id, at, actor_label, action, object_type, object_id, data, "
            "prev_hash, hash) SELECT nextval(pg_get_serial_sequence('audit_events', 'id')), :audit_at, "
            ":audit_actor_label, :audit_action, :audit_object_type, :audit_object_id, :audit_data, last_hash, "
            "encode(sha256(convert_to(:audit_prefix || last_hash || '\"]', 'UTF8')), 'hex') FROM chain_tail "
            "RETURNING id, hash), "
            f"chain_head AS (UPDATE {head} SET last_event_id = chain_event.id, last_hash = chain_event.hash, "
            f"events = {head}.events + 1 FROM chain_event WHERE {head}.id = {HEAD_ID})")


def chained_append_params(action: str, object_type: str, object_id: str, *, actor_label: str,
                          data: dict[str, Any] | None = None) -> dict[str, Any]:
    """Parameters of `chained_append_sql` for one event (no staff actor, no before/after/reason)."""
    at, object_id, actor_label, stored = utcnow(), bounded(object_id), bounded(actor_label), canonical_json(data)
    # canonical() of the event with the previous hash left out: the array's text up to that last element.
    text = json.dumps([ENCODING, at_text(at), None, actor_label, action, object_type, object_id, stored, None,
                       None, None], ensure_ascii=False, separators=(",", ":"))
    return {"audit_at": at.astimezone(UTC).replace(tzinfo=None), "audit_actor_label": actor_label,
            "audit_action": action, "audit_object_type": object_type, "audit_object_id": object_id,
            "audit_data": stored, "audit_prefix": text[:-1] + ',"'}


# -- verification ------------------------------------------------------------------------------------

@dataclass
class ChainReport:
    checked: int = 0
    broken_id: int | None = None
    problem: str | None = None
    last_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return self.problem is None


def _at_text_sql(dialect: str) -> sa.ColumnElement[str]:
    """`at_text()` computed by the database (SQLite stores `YYYY-MM-DD HH:MM:SS.ffffff` already)."""
    if dialect == "postgresql":
        return sa.func.to_char(AuditEvent.at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
    return sa.func.replace(sa.type_coerce(AuditEvent.at, sa.Text()), " ", "T") + "Z"


def _rows(batch: int) -> Iterator[sa.Row]:
    """Every event in id order, streamed (a server-side cursor on PostgreSQL), never all in memory.
    Times come as text made by the database and JSON as its stored text: no per-row conversion here."""
    e, connection = AuditEvent, db.session.connection()
    columns = [e.id, _at_text_sql(connection.dialect.name), e.actor_id, e.actor_label, e.action, e.object_type,
               e.object_id, *(sa.type_coerce(c, sa.Text()) for c in (e.data, e.before, e.after)), e.reason,
               e.prev_hash, e.hash]
    query = sa.select(*columns).order_by(e.id).execution_options(stream_results=True, yield_per=batch)
    yield from connection.execute(query)  # Core rows: the ORM's row wrapping cost a third of the time


def verify_chain(batch: int = 20000, progress: Callable[[int], None] | None = None,
                 every: int = 250_000) -> ChainReport:
    """Recompute every hash in id order; stop at the first event that does not fit the chain.
    `progress(checked)` is called every `every` events."""
    report = ChainReport()
    head = db.session.get(AuditChainHead, HEAD_ID)
    head_id = head.last_event_id if head else 0
    prev, digest, dumps = GENESIS, hashlib.sha256, json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    for event_id, *fields, stored in _rows(batch):
        if event_id > head_id:
            return _broken(report, event_id, f"it comes after the chain head (event {head_id}): "
                                             "appended without record()")
        if fields[-1] != prev:  # fields: actor_id .. reason, prev_hash
            return _broken(report, event_id, "its previous hash does not match the event before it: "
                                             "an event before it was deleted, inserted or re-hashed")
        # canonical() inlined: this line runs a million times
        text = dumps([ENCODING, *fields])
        if digest(text.encode()).hexdigest() != stored:
            return _broken(report, event_id, "its content does not match its hash: the row was altered")
        prev = stored
        report.checked += 1
        if progress is not None and report.checked % every == 0:
            progress(report.checked)
    report.last_hash = prev
    expected = (head.events, head.last_hash) if head else (0, GENESIS)
    if (report.checked, prev) != expected:
        return _broken(report, head_id, f"the chain head records {expected[0]} events ending at event {head_id}, "
                                        f"the table holds {report.checked}: events at the end were deleted")
    return report


def _broken(report: ChainReport, event_id: int, problem: str) -> ChainReport:
    report.broken_id, report.problem = event_id, problem
    return report

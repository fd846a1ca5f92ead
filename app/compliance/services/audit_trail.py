"""The audit trail as compliance reads it: filtered pages (newest first) and a streamed CSV export."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa

from app.platform.audit import at_text
from app.platform.spreadsheet import safe_cell
from models import AuditEvent, db
from models.governance import canonical_json

CSV_COLUMNS = ("id", "at", "actor_label", "actor_id", "action", "object_type", "object_id", "reason", "before",
               "after", "data", "prev_hash", "hash")


@dataclass
class AuditFilter:
    actor: str | None = None
    action: str | None = None  # exact, or a prefix ending in "." ("proof." for every proof action)
    object_type: str | None = None
    object_id: str | None = None
    since: date | None = None  # UTC days, both ends included
    until: date | None = None

    def where(self) -> list[sa.ColumnElement[bool]]:
        e, clauses = AuditEvent, []
        if self.actor:
            clauses.append(e.actor_label == self.actor)
        if self.action:
            clauses.append(e.action.startswith(self.action, autoescape=True) if self.action.endswith(".")
                           else e.action == self.action)
        if self.object_type:
            clauses.append(e.object_type == self.object_type)
        if self.object_id:
            clauses.append(e.object_id == self.object_id)
        if self.since:
            clauses.append(e.at >= datetime.combine(self.since, time(), UTC))
        if self.until:
            clauses.append(e.at < datetime.combine(self.until + timedelta(days=1), time(), UTC))
        return clauses


@dataclass
class AuditPage:
    events: list[AuditEvent]
    next_before: int | None  # keyset cursor: the id the next (older) page starts below


def events_page(where: AuditFilter, *, before: int | None = None, per_page: int = 50) -> AuditPage:
    """Newest first, keyset-paginated on id (the chain order), so deep pages cost what the first does."""
    query = sa.select(AuditEvent).where(*where.where())
    if before:
        query = query.where(AuditEvent.id < before)
    events = list(db.session.scalars(query.order_by(AuditEvent.id.desc()).limit(per_page + 1)))
    more = len(events) > per_page
    events = events[:per_page]
    return AuditPage(events, events[-1].id if more and events else None)


def known_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def csv_lines(where: AuditFilter, batch: int = 5000) -> Iterator[str]:
    """The filtered events in chain order as CSV text, a chunk per `batch` rows, never all in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    query = (sa.select(AuditEvent).where(*where.where()).order_by(AuditEvent.id)
             .execution_options(yield_per=batch, stream_results=True))
    for n, event in enumerate(db.session.scalars(query), start=1):
        # labels and ids can be typed by anyone (a sign-in email lands in a throttling event)
        # the time and the JSON columns as the hash covers them, so the file can be checked on its own
        writer.writerow([safe_cell(v) for v in (
            event.id, at_text(event.at), event.actor_label, event.actor_id or "", event.action,
            event.object_type, event.object_id, event.reason or "", canonical_json(event.before) or "",
            canonical_json(event.after) or "", canonical_json(event.data) or "", event.prev_hash, event.hash)])
        if n % batch == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()

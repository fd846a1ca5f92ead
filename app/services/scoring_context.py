"""Build the rules' ScoringContext from the database: target proofs plus the history that matters.

History of a batch: proofs sharing a target's fingerprint, account, phone or screenshot file
within the history window, proofs on the target's campaign around the same time, proofs on its
address or /24 within a few days (capped: carrier NAT addresses are busy), then the histories of
the most strongly linked accounts (capped), the live sessions of the rooms involved and the past
decisions a target's score can use. Every lookup is a set-based query over indexed
columns (OR-ed, in chunks), so one proof costs a handful of index scans and a batch of
thousands costs the same handful of queries per chunk, never one per proof. The proof rows of
all lookups are gathered as tuples, each proof once, and become one frame at the end: online,
building a frame per lookup cost more than the lookups themselves.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from operator import itemgetter

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from models import Campaign, LiveSession, Proof, ReviewDecision, Worker, db, utcnow
from review_rules.context import DECISION_COLUMNS, PROOF_COLUMNS, SESSION_COLUMNS, TIME_COLUMNS, ScoringContext

CHUNK = 900  # SQLite's bound-parameter limit is 999
P, W, C = Proof.__table__, Worker.__table__, Campaign.__table__
LINK_KEYS = ("device_fp_hash", "screenshot_sha256")  # with the account, looked up over the whole history window
NETWORK_KEYS = ("ip_hash", "ip_prefix_hash")  # busy addresses (carrier NAT): a short window and a row cap


def _plain(column: sa.Column) -> sa.ColumnElement:
    """A datetime column read as plain DateTime (naive UTC), converted in bulk by pandas."""
    return sa.type_coerce(column, sa.DateTime())


# The context's worker and campaign columns, read by key and appended to the proof rows: a join
# in every history lookup lets the planner pick a scan of the whole workers table for a few rows.
WORKER_FIELDS = {"worker_created_at": _plain(W.c.created_at), "worker_region": W.c.region,
                 "worker_timezone": W.c.timezone, "worker_language": W.c.language,
                 "worker_phone_hash": W.c.phone_hash}
CAMPAIGN_FIELDS = {"brand_id": C.c.brand_id, "room_id": C.c.room_id, "action": C.c.action,
                   "min_watch_seconds": C.c.min_watch_seconds, "campaign_starts_at": _plain(C.c.starts_at),
                   "campaign_ends_at": _plain(C.c.ends_at)}
PROOF_FIELDS = [_plain(P.c[c]).label(c) if c in ("accepted_at", "started_at", "submitted_at") else P.c[c]
                for c in PROOF_COLUMNS if c in P.c and c != "is_target"]


PROOF_QUERY = sa.select(P.c.id.label("proof_id"), *[c for c in PROOF_FIELDS if c.name != "id"])
PROOF_NAMES = list(PROOF_QUERY.selected_columns.keys())
AT = {name: position for position, name in enumerate(PROOF_NAMES)}  # where each column sits in a proof row


def _rows(query: sa.Select) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(query)]


class _Gathered(dict):
    """Proof rows by id from several lookups: each proof once, in the order first met."""

    def fetch(self, query: sa.Select) -> None:
        for row in _rows(query):
            self.setdefault(row[0], row)


def _chunks(values: Iterable) -> Iterable[list]:
    values = sorted({v for v in values if v is not None and v == v})
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _among(column: sa.ColumnElement, chunk: list) -> sa.ColumnElement:
    """`column IN chunk`; on PostgreSQL as `= ANY(array)`, one parameter instead of one per value
    (binding hundreds of parameters costs more than the index lookups they ask for)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == sa.any_(sa.literal(chunk, postgresql.ARRAY(column.type)))
    return column.in_(chunk)


def _known(key: sa.Column, fields: dict[str, sa.ColumnElement], ids: Iterable | None) -> dict:
    """key -> tuple of `fields`, for `ids` (every row when ids is None)."""
    query = sa.select(key, *fields.values())
    queries = [query] if ids is None else [query.where(_among(key, chunk)) for chunk in _chunks(ids)]
    return {row[0]: row[1:] for q in queries for row in _rows(q)}


def _with_attributes(rows: list[tuple], targets: set[str], everything: bool = False) -> pd.DataFrame:
    """The context's proof frame (PROOF_COLUMNS, times aware UTC): the proof rows, each with its
    worker's and campaign's columns (all workers and campaigns read at once when `everything`, as
    for a full load), `is_target` where the id is in `targets`."""
    worker_at, campaign_at = AT["worker_id"], AT["campaign_id"]
    workers = _known(W.c.id, WORKER_FIELDS, None if everything else {r[worker_at] for r in rows})
    campaigns = _known(C.c.id, CAMPAIGN_FIELDS, None if everything else {r[campaign_at] for r in rows})
    no_worker, no_campaign = (None,) * len(WORKER_FIELDS), (None,) * len(CAMPAIGN_FIELDS)
    frame = pd.DataFrame([_IN_CONTEXT_ORDER(row + workers.get(row[worker_at], no_worker)
                                            + campaigns.get(row[campaign_at], no_campaign)) for row in rows],
                         columns=_CONTEXT_NAMES)
    frame.insert(PROOF_COLUMNS.index("is_target"), "is_target", frame["proof_id"].isin(targets))
    for column in TIME_COLUMNS:
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


_CONTEXT_NAMES = [c for c in PROOF_COLUMNS if c != "is_target"]
_IN_CONTEXT_ORDER = itemgetter(*[[*PROOF_NAMES, *WORKER_FIELDS, *CAMPAIGN_FIELDS].index(c) for c in _CONTEXT_NAMES])


def _within(first: datetime, last: datetime, span: timedelta) -> sa.ColumnElement:
    return P.c.submitted_at.between(first - span, last + span)


def _chunked_or(parts: list[tuple[sa.Column, list, sa.ColumnElement]]) -> Iterable[sa.ColumnElement]:
    """OR conditions `column IN chunk AND window`, chunk by chunk (one query per round, not per key)."""
    chunked = [(column, list(_chunks(values)), window) for column, values, window in parts]
    for round_ in range(max((len(chunks) for _, chunks, _ in chunked), default=0)):
        yield sa.or_(*(sa.and_(_among(column, chunks[round_]), window)
                       for column, chunks, window in chunked if round_ < len(chunks)))


def build_context(proof_ids: list[str], *, history_days: int = 30, network_days: int = 3,
                  campaign_window_hours: float = 1, network_rows_per_proof: int = 500,
                  linked_workers_per_proof: int = 20, linked_history_days: int = 7,
                  now: datetime | None = None) -> ScoringContext:
    """Targets (is_target) with their relevant history; unknown ids are left out.

    The same few lookups whatever the batch size (each chunked by 900 values): the targets; the
    accounts on their phone numbers; proofs sharing a fingerprint, account or screenshot file
    (history window) or the campaign around the same time; proofs on the same address or /24
    (short window, capped, newest first, because a carrier NAT address is busy); the recent
    histories of the most strongly linked accounts; the targets' room sessions and the decisions
    their scores can use. Rows stay plain tuples until the one frame at the end.
    """
    found = _Gathered()
    for chunk in _chunks(proof_ids):
        found.fetch(PROOF_QUERY.where(_among(P.c.id, chunk)))
    targets = list(found.values())
    if not targets:
        return _finish(_with_attributes([], set()), now or utcnow(), sessions=_sessions([], None),
                       decisions=_decisions(([], [])))
    times = _times(targets)
    first, last = min(times), max(times)
    history = _within(first, last, timedelta(days=history_days))
    # Accounts on the same phone number join the account list: every OR branch stays an index scan.
    phone = sa.select(W.c.phone_hash).where(W.c.id.in_(sa.bindparam("ids", expanding=True))).scalar_subquery()
    own = _values(targets, "worker_id")
    same_phone = {w for chunk in _chunks(own)
                  for w in db.session.scalars(sa.select(W.c.id).where(W.c.phone_hash.in_(phone)), {"ids": chunk})}
    parts = [(P.c[key], _values(targets, key), history) for key in LINK_KEYS]
    parts.append((P.c.worker_id, own | same_phone, history))
    parts.append((P.c.campaign_id, _values(targets, "campaign_id"),
                  _within(first, last, timedelta(hours=campaign_window_hours))))
    for condition in _chunked_or(parts):
        found.fetch(PROOF_QUERY.where(condition))
    cap = network_rows_per_proof * len(targets)
    network = [(P.c[key], _values(targets, key), _within(first, last, timedelta(days=network_days)))
               for key in NETWORK_KEYS]
    for condition in _chunked_or(network):
        found.fetch(PROOF_QUERY.where(condition).order_by(P.c.submitted_at.desc()).limit(cap))
    linked = _linked_workers(found.values(), targets, same_phone, linked_workers_per_proof * len(targets))
    recent = _within(first, last, timedelta(days=linked_history_days))
    for chunk in _chunks(linked):
        found.fetch(PROOF_QUERY.where(_among(P.c.worker_id, chunk), recent))
    rows = list(found.values())
    frame = _with_attributes(rows, {r[0] for r in targets})
    rooms = pd.unique(frame["room_id"].to_numpy()[frame["is_target"].to_numpy()])
    return _finish(frame, now or utcnow(), sessions=_sessions([r for r in rooms if r is not None and r == r],
                                                              (first - timedelta(days=1), last + timedelta(days=1))),
                   decisions=_decisions(_decision_scope(rows, targets)))


def _values(rows: Iterable[tuple], column: str) -> set:
    """The distinct non-null values of `column` in proof rows."""
    at = AT[column]
    return {r[at] for r in rows} - {None}


def _times(rows: list[tuple]) -> list[datetime]:
    """Submission times of proof rows as aware UTC datetimes (they are read as naive UTC)."""
    at = AT["submitted_at"]
    return [r[at].replace(tzinfo=UTC) for r in rows if r[at] is not None]


def _linked_workers(rows: Iterable[tuple], targets: list[tuple], same_phone: set[str], limit: int) -> list[str]:
    """Accounts met in the first lookups, strongest link first: a shared device, phone or file,
    then the same address, then the same campaign closest in time; capped at `limit`."""
    own = _values(targets, "worker_id")
    shared = [(AT[key], _values(targets, key)) for key in ("device_fp_hash", "screenshot_sha256")]
    address_at, addresses = AT["ip_hash"], _values(targets, "ip_hash")
    worker_at, submitted_at = AT["worker_id"], AT["submitted_at"]
    times = _times(targets)
    moment = times[0] + sum((t - times[0] for t in times), timedelta()) / len(times)
    ranked = []
    for position, row in enumerate(rows):
        worker = row[worker_at]
        if worker in own:
            continue
        if worker in same_phone or any(row[at] in values for at, values in shared):
            tier = 0
        else:
            tier = 1 if row[address_at] in addresses else 2
        when = row[submitted_at]
        distance = abs((when.replace(tzinfo=UTC) - moment).total_seconds()) if when is not None \
            else float("inf")
        ranked.append((tier, distance, position, worker))
    ranked.sort()
    return list(dict.fromkeys(worker for *_, worker in ranked))[:limit]


def load_all_context(target_ids: list[str] | None = None, now: datetime | None = None) -> ScoringContext:
    """Every stored proof as context (full batch scoring); targets are `target_ids` or all of them."""
    rows = _rows(PROOF_QUERY.order_by(P.c.id))
    frame = _with_attributes(rows, {r[0] for r in rows} if target_ids is None else set(target_ids), everything=True)
    return _finish(frame, now or utcnow(), sessions=_sessions(None, None), decisions=_decisions(None))


def _finish(frame: pd.DataFrame, now: datetime, sessions: pd.DataFrame, decisions: pd.DataFrame) -> ScoringContext:
    moment = pd.Timestamp(now)
    return ScoringContext(proofs=frame, sessions=sessions, decisions=decisions,
                          now=moment.tz_convert("UTC") if moment.tzinfo else moment.tz_localize("UTC"))


def _decision_scope(rows: list[tuple], targets: list[tuple]) -> tuple[set[str], list[str]]:
    """(workers, proofs) whose decisions a target's score can use: the targets' own accounts
    (reputation) and the proofs that share a target's screenshot file (already paid?)."""
    file_at = AT["screenshot_sha256"]
    files = _values(targets, "screenshot_sha256")
    on_file = [r for r in rows if r[file_at] in files]
    proofs_per_file = Counter(r[file_at] for r in on_file)
    return _values(targets, "worker_id"), [r[0] for r in on_file if proofs_per_file[r[file_at]] > 1]


def _sessions(rooms: list[str] | None, span: tuple[datetime, datetime] | None) -> pd.DataFrame:
    """Live sessions of `rooms` overlapping `span` (every session when rooms is None)."""
    S = LiveSession.__table__
    query = sa.select(S.c.room_id, _plain(S.c.starts_at).label("starts_at"), _plain(S.c.ends_at).label("ends_at"))
    if rooms is None:
        rows = _rows(query)
    else:
        since, until = span if span else (None, None)
        rows = [row for chunk in _chunks(rooms)
                for row in _rows(query.where(_among(S.c.room_id, chunk), S.c.ends_at >= since, S.c.starts_at <= until))]
    out = pd.DataFrame(rows, columns=list(SESSION_COLUMNS))
    for column in ("starts_at", "ends_at"):
        out[column] = pd.to_datetime(out[column], utc=True)
    return out


def _decisions(scope: tuple[Iterable[str], Iterable[str]] | None) -> pd.DataFrame:
    """Approved / rejected decisions of the scope's accounts and proofs (all of them when scope is None)."""
    D = ReviewDecision.__table__
    query = sa.select(D.c.proof_id, P.c.worker_id, D.c.decision, _plain(D.c.decided_at).label("decided_at")) \
        .select_from(D.join(P, P.c.id == D.c.proof_id)).where(D.c.decision.in_(("approved", "rejected")))
    if scope is None:
        rows = _rows(query)
    else:
        workers, proofs = scope  # two lookups: an OR across the joined tables defeats both indexes
        queries = [query.where(_among(P.c.worker_id, chunk)) for chunk in _chunks(workers)]
        queries += [query.where(_among(D.c.proof_id, chunk)) for chunk in _chunks(proofs)]
        rows = list(dict.fromkeys(row for q in queries for row in _rows(q)))  # each decision once, first seen first
    out = pd.DataFrame(rows, columns=list(DECISION_COLUMNS))
    out["decided_at"] = pd.to_datetime(out["decided_at"], utc=True)
    return out

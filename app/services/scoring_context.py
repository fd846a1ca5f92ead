"""Build the rules' ScoringContext from the database: target proofs plus the history that matters.

History of a batch: proofs sharing a target's fingerprint, account, phone or screenshot file
within the history window, proofs on the target's campaign around the same time, proofs on its
address or /24 within a few days (capped: carrier NAT addresses are busy), then the histories of
the most strongly linked accounts (capped), the live sessions of the rooms involved and the past
decisions of every account in the context. Every lookup is a set-based query over indexed
columns (OR-ed, in chunks), so one proof costs a handful of index scans and a batch of
thousands costs the same handful of queries per chunk, never one per proof. The proof rows of
all lookups are gathered as tuples, each proof once, and become one frame at the end: online,
building a frame per lookup cost more than the lookups themselves.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from models import Campaign, LiveSession, Proof, ReviewDecision, Worker, db, utcnow
from review_rules.context import DECISION_COLUMNS, PROOF_COLUMNS, SESSION_COLUMNS, ScoringContext

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


def _rows(query: sa.Select) -> list[tuple]:
    return [tuple(row) for row in db.session.execute(query)]


def _frame(query: sa.Select) -> pd.DataFrame:
    result = db.session.execute(query)
    columns = list(result.keys())
    return pd.DataFrame([tuple(row) for row in result], columns=columns)  # tuples: pandas' fast path


def _proof_frame(rows: Iterable[tuple]) -> pd.DataFrame:
    return pd.DataFrame(list(rows), columns=PROOF_NAMES)


class _Gathered(dict):
    """Proof rows by id from several lookups: each proof once, in the order first met."""

    def fetch(self, query: sa.Select) -> None:
        for row in _rows(query):
            self.setdefault(row[0], row)

    def frame(self) -> pd.DataFrame:
        return _proof_frame(self.values())


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


def _with_attributes(rows: list[tuple], everything: bool = False) -> pd.DataFrame:
    """The proof rows as a frame, each with its worker's and campaign's columns (all workers and
    campaigns read at once when `everything`, as for a full load)."""
    worker_at, campaign_at = PROOF_NAMES.index("worker_id"), PROOF_NAMES.index("campaign_id")
    workers = _known(W.c.id, WORKER_FIELDS, None if everything else {r[worker_at] for r in rows})
    campaigns = _known(C.c.id, CAMPAIGN_FIELDS, None if everything else {r[campaign_at] for r in rows})
    no_worker, no_campaign = (None,) * len(WORKER_FIELDS), (None,) * len(CAMPAIGN_FIELDS)
    return pd.DataFrame([row + workers.get(row[worker_at], no_worker) + campaigns.get(row[campaign_at], no_campaign)
                         for row in rows], columns=[*PROOF_NAMES, *WORKER_FIELDS, *CAMPAIGN_FIELDS])


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
    their scores can use.
    """
    found = _Gathered()
    for chunk in _chunks(proof_ids):
        found.fetch(PROOF_QUERY.where(_among(P.c.id, chunk)))
    targets = found.frame()
    if targets.empty:
        return _finish(_with_attributes([]), set(), now or utcnow(), rooms=[])
    times = pd.to_datetime(targets["submitted_at"], utc=True)
    first, last = times.min().to_pydatetime(), times.max().to_pydatetime()
    history = _within(first, last, timedelta(days=history_days))
    # Accounts on the same phone number join the account list: every OR branch stays an index scan.
    phone = sa.select(W.c.phone_hash).where(W.c.id.in_(sa.bindparam("ids", expanding=True))).scalar_subquery()
    same_phone = {w for chunk in _chunks(targets["worker_id"])
                  for w in db.session.scalars(sa.select(W.c.id).where(W.c.phone_hash.in_(phone)), {"ids": chunk})}
    accounts = set(targets["worker_id"]) | same_phone
    parts = [(P.c[key], targets[key].tolist(), history) for key in LINK_KEYS]
    parts.append((P.c.worker_id, sorted(accounts), history))
    parts.append((P.c.campaign_id, targets["campaign_id"].tolist(),
                  _within(first, last, timedelta(hours=campaign_window_hours))))
    for condition in _chunked_or(parts):
        found.fetch(PROOF_QUERY.where(condition))
    cap = network_rows_per_proof * len(targets)
    network = [(P.c[key], targets[key].tolist(), _within(first, last, timedelta(days=network_days)))
               for key in NETWORK_KEYS]
    for condition in _chunked_or(network):
        found.fetch(PROOF_QUERY.where(condition).order_by(P.c.submitted_at.desc()).limit(cap))
    linked = _linked_workers(found.frame(), targets, same_phone, linked_workers_per_proof * len(targets))
    recent = _within(first, last, timedelta(days=linked_history_days))
    for chunk in _chunks(linked):
        found.fetch(PROOF_QUERY.where(_among(P.c.worker_id, chunk), recent))
    frame = _with_attributes(list(found.values()))
    target_ids = set(targets["proof_id"])
    rooms = frame.loc[frame["proof_id"].isin(target_ids), "room_id"].dropna().unique().tolist()
    return _finish(frame, target_ids, now or utcnow(), rooms=rooms,
                   span=(first - timedelta(days=1), last + timedelta(days=1)))


def _linked_workers(frame: pd.DataFrame, targets: pd.DataFrame, same_phone: set[str], limit: int) -> list[str]:
    """Accounts met in the first lookups, strongest link first: a shared device, phone or file,
    then the same address, then the same campaign closest in time; capped at `limit`."""
    others = frame[~frame["worker_id"].isin(set(targets["worker_id"]))]
    if others.empty:
        return []
    strong = np.array(others["worker_id"].isin(same_phone), dtype=bool)
    for key in ("device_fp_hash", "screenshot_sha256"):
        strong |= others[key].isin(set(targets[key].dropna())).to_numpy()
    same_address = others["ip_hash"].isin(set(targets["ip_hash"].dropna())).to_numpy()
    moment = pd.to_datetime(targets["submitted_at"], utc=True).mean()
    distance = (pd.to_datetime(others["submitted_at"], utc=True) - moment).abs().dt.total_seconds().to_numpy()
    rank = pd.DataFrame({"w": others["worker_id"].to_numpy(), "tier": np.where(strong, 0, np.where(same_address, 1, 2)),
                         "distance": distance}).sort_values(["tier", "distance"], kind="stable")
    return rank["w"].drop_duplicates().iloc[:limit].tolist()


def load_all_context(target_ids: list[str] | None = None, now: datetime | None = None) -> ScoringContext:
    """Every stored proof as context (full batch scoring); targets are `target_ids` or all of them."""
    frame = _with_attributes(_rows(PROOF_QUERY.order_by(P.c.id)), everything=True)
    targets = set(frame["proof_id"]) if target_ids is None else set(target_ids)
    return _finish(frame, targets, now or utcnow())


def _finish(frame: pd.DataFrame, targets: set[str], now: datetime, rooms: list[str] | None = None,
            span: tuple[datetime, datetime] | None = None) -> ScoringContext:
    """The ScoringContext; sessions of `rooms` within `span` (all sessions when rooms is None), the
    decisions of every account in the frame (all decisions for a full load)."""
    frame = frame.assign(is_target=frame["proof_id"].isin(targets))
    for column in ("accepted_at", "started_at", "submitted_at", "worker_created_at", "campaign_starts_at",
                   "campaign_ends_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    moment = pd.Timestamp(now)
    return ScoringContext(
        proofs=frame[list(PROOF_COLUMNS)].reset_index(drop=True),
        sessions=_sessions(rooms, span),
        decisions=_decisions(None if rooms is None else _decision_scope(frame)),
        now=moment.tz_convert("UTC") if moment.tzinfo else moment.tz_localize("UTC"),
    )


def _decision_scope(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """(workers, proofs) whose decisions a target's score can use: the targets' own accounts
    (reputation) and the proofs that share a target's screenshot file (already paid?)."""
    targets = frame[frame["is_target"]]
    shared_files = frame["screenshot_sha256"].dropna()
    shared_files = set(shared_files[shared_files.duplicated(keep=False)])  # files on more than one proof
    same_file = frame["screenshot_sha256"].isin(shared_files & set(targets["screenshot_sha256"].dropna()))
    return targets["worker_id"].unique().tolist(), frame.loc[same_file, "proof_id"].tolist()


def _sessions(rooms: list[str] | None, span: tuple[datetime, datetime] | None) -> pd.DataFrame:
    S = LiveSession.__table__
    query = sa.select(S.c.room_id, _plain(S.c.starts_at).label("starts_at"), _plain(S.c.ends_at).label("ends_at"))
    if rooms is None:
        out = _frame(query)
    elif not rooms:
        out = pd.DataFrame(columns=list(SESSION_COLUMNS))
    else:
        since, until = span if span else (None, None)
        out = pd.concat([_frame(query.where(_among(S.c.room_id, chunk), S.c.ends_at >= since, S.c.starts_at <= until))
                         for chunk in _chunks(rooms)], ignore_index=True)
    for column in ("starts_at", "ends_at"):
        out[column] = pd.to_datetime(out[column], utc=True)
    return out


def _decisions(scope: tuple[list[str], list[str]] | None) -> pd.DataFrame:
    """Approved / rejected decisions of the scope's accounts and proofs (all of them when scope is None)."""
    D = ReviewDecision.__table__
    query = sa.select(D.c.proof_id, P.c.worker_id, D.c.decision, _plain(D.c.decided_at).label("decided_at")) \
        .select_from(D.join(P, P.c.id == D.c.proof_id)).where(D.c.decision.in_(("approved", "rejected")))
    if scope is None:
        out = _frame(query)
    else:
        workers, proofs = scope  # two lookups: an OR across the joined tables defeats both indexes
        frames = [_frame(query.where(_among(P.c.worker_id, chunk))) for chunk in _chunks(workers)]
        frames += [_frame(query.where(_among(D.c.proof_id, chunk))) for chunk in _chunks(proofs)]
        frames = [f for f in frames if len(f)]
        out = pd.concat(frames, ignore_index=True).drop_duplicates() if frames else \
            pd.DataFrame(columns=list(DECISION_COLUMNS))
    out["decided_at"] = pd.to_datetime(out["decided_at"], utc=True)
    return out[list(DECISION_COLUMNS)]

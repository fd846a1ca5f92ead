"""Build the rules' ScoringContext from the database: target proofs plus the history that matters.

History of a batch: proofs sharing a target's account, phone, fingerprint or screenshot file
within the history window, proofs on its address or /24 within a few days, proofs on its
campaign around the same time, then the recent proofs of the most strongly linked accounts, the
live sessions of the rooms involved and the past decisions a target's score can use. Every
lookup is capped per target, rows closest in time to the targets first: a device farm, a
carrier NAT address or a hot campaign would otherwise flood one proof's context, and the cost of
scoring grows with every row. Every lookup is a set-based query over indexed columns (in chunks
of keys; the statements are in context_queries.py), so one proof
costs a handful of index scans and a batch of thousands costs the same handful of queries per
chunk, never one per proof. The statements are built once with bind parameters, and the proof
rows of all lookups are gathered as tuples, each proof once, becoming one frame at the end:
online, building statements and frames per lookup cost more than the lookups themselves.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from operator import itemgetter

import numpy as np
import pandas as pd
import sqlalchemy as sa

from app.platform.sql import is_postgres
from app.scoring.services.context_columns import all_decisions, full_proof_frame, utc_times
from app.scoring.services.context_queries import (
    AT,
    CAMPAIGN_FIELDS,
    PROOF_NAMES,
    SESSIONS_QUERY,
    WORKER_FIELDS,
    lookups,
)
from models import Campaign, Proof, Worker, db, utcnow
from review_rules.context import DECISION_COLUMNS, PROOF_COLUMNS, SESSION_COLUMNS, TIME_COLUMNS, ScoringContext
from review_rules.engine import DEFAULT_CONTEXT

CHUNK = 900  # SQLite's bound-parameter limit is 999
P, W, C = Proof.__table__, Worker.__table__, Campaign.__table__


def _rows(query: sa.Executable, params: dict | None = None) -> list[tuple]:
    # On the session's connection (Core statements skip the ORM's execution layer, 50 µs each), and
    # fetchall, not row-by-row iteration: psycopg's per-row fetch costs more than the rows' decoding.
    return [tuple(row) for row in db.session.connection().execute(query, params).all()]


class _Gathered(dict):
    """Proof rows by id from several lookups: each proof once, in the order first met."""

    def fetch(self, query: sa.Executable, params: dict) -> None:
        for row in _rows(query, params):
            self.setdefault(row[0], row)


def _chunks(values: Iterable) -> Iterable[list]:
    values = sorted({v for v in values if v is not None and v == v})
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _rounds(**values: Iterable) -> Iterable[dict[str, list]]:
    """Bind parameters round by round: every name's next chunk of values (an empty list once a
    name runs out), so a batch of any size costs the same few statements per chunk of 900."""
    chunked = {name: list(_chunks(v)) for name, v in values.items()}
    for round_ in range(max((len(c) for c in chunked.values()), default=0)):
        yield {name: c[round_] if round_ < len(c) else [] for name, c in chunked.items()}


def _plan_once() -> None:
    """On PostgreSQL, let the prepared lookups keep one generic plan for this transaction: their
    plans do not depend on the key values, and planning the capped union afresh for every proof
    took longer than running it (about 2 ms against 1)."""
    if is_postgres():
        db.session.execute(sa.text("SET LOCAL plan_cache_mode = force_generic_plan"))


def _known(lookup: sa.Select, ids: Iterable) -> dict:
    """key -> tuple of the looked-up fields, for `ids`."""
    return {row[0]: row[1:] for params in _rounds(ids=ids) for row in _rows(lookup, params)}


def _with_attributes(rows: list[tuple], targets: set[str]) -> pd.DataFrame:
    """The context's proof frame (PROOF_COLUMNS, times aware UTC): the proof rows, each with its
    worker's and campaign's columns, `is_target` where the id is in `targets`. (A full load reads
    column-wise instead: context_columns.)"""
    worker_at, campaign_at = AT["worker_id"], AT["campaign_id"]
    statements = lookups()
    workers = _known(statements.workers, {r[worker_at] for r in rows})
    campaigns = _known(statements.campaigns, {r[campaign_at] for r in rows})
    no_worker, no_campaign = (None,) * len(WORKER_FIELDS), (None,) * len(CAMPAIGN_FIELDS)
    frame = _frame([_IN_CONTEXT_ORDER(row + workers.get(row[worker_at], no_worker)
                                      + campaigns.get(row[campaign_at], no_campaign)) for row in rows],
                   _CONTEXT_NAMES, times=TIME_COLUMNS)
    frame.insert(PROOF_COLUMNS.index("is_target"), "is_target",
                 np.fromiter((row[0] in targets for row in rows), dtype=bool, count=len(rows)))
    return frame


_CONTEXT_NAMES = [c for c in PROOF_COLUMNS if c != "is_target"]
_IN_CONTEXT_ORDER = itemgetter(*[[*PROOF_NAMES, *WORKER_FIELDS, *CAMPAIGN_FIELDS].index(c) for c in _CONTEXT_NAMES])


def build_context(proof_ids: list[str], *, now: datetime | None = None, **settings: float) -> ScoringContext:
    """Targets (is_target) with their relevant history; unknown ids are left out.

    The same few lookups whatever the batch size (each chunked by 900 values): the targets; the
    accounts on their phone numbers; then, in one round trip, the proofs closest in time of the
    target accounts (and accounts on the same phone), of other accounts on their fingerprints and
    screenshot files (history window), of their /24s (network window) and of their campaigns
    around the same time, each lookup capped per target so a device farm, a carrier NAT address or
    a hot campaign cannot flood one proof's context; the recent proofs of the most strongly linked
    accounts (capped per account); the targets' room sessions and the decisions their scores can
    use. Rows stay plain tuples until the one frame at the end. `settings` are the rule set's
    `context` section (review_rules.engine.DEFAULT_CONTEXT fills what is not given).
    """
    unknown = sorted(set(settings) - set(DEFAULT_CONTEXT))
    if unknown:
        raise TypeError(f"unknown context setting(s) {unknown}")
    setting = {**DEFAULT_CONTEXT, **settings}
    statements = lookups()
    _plan_once()
    found = _Gathered()
    for params in _rounds(ids=proof_ids):
        found.fetch(statements.targets, params)
    targets = list(found.values())
    if not targets:
        return _finish(_with_attributes([], set()), now or utcnow(), sessions=_sessions([], None),
                       decisions=_decisions(([], [])))
    times = _times(targets)
    first, last = min(times), max(times)
    # Accounts on the same phone number join the account list: every OR branch stays an index scan.
    own = _values(targets, "worker_id")
    same_phone = {w for chunk in _chunks(own) for w in db.session.scalars(statements.same_phone, {"ids": chunk})}
    count = len(targets)
    moment = _middle(times)
    bounds = {"moment": moment, **_span("history", first, last, timedelta(days=setting["history_days"])),
              **_span("network", first, last, timedelta(days=setting["network_days"])),
              **_span("campaign", first, last, timedelta(hours=setting["campaign_window_hours"])),
              **{f"{lookup}_cap": setting[f"{lookup}_rows_per_proof"] * count
                 for lookup in ("account", "shared", "network", "campaign")}}
    for params in _rounds(accounts=own | same_phone, devices=_values(targets, "device_fp_hash"),
                          files=_values(targets, "screenshot_sha256"), prefixes=_values(targets, "ip_prefix_hash"),
                          campaigns=_values(targets, "campaign_id")):
        found.fetch(statements.nearest, {**params, **bounds})
    linked = _linked_workers(found.values(), targets, same_phone, setting["linked_workers_per_proof"] * count)
    recent = {"moment": moment, **_span("linked", first, last, timedelta(days=setting["linked_history_days"])),
              "per_account": setting["linked_rows_per_account"]}
    for params in _rounds(workers=linked):
        found.fetch(statements.linked, {**params, **recent})
    rows = list(found.values())
    frame = _with_attributes(rows, {r[0] for r in targets})
    rooms = pd.unique(frame["room_id"].to_numpy()[frame["is_target"].to_numpy()])
    return _finish(frame, now or utcnow(), sessions=_sessions([r for r in rooms if r is not None and r == r],
                                                              (first - timedelta(days=1), last + timedelta(days=1))),
                   decisions=_decisions(_decision_scope(rows, targets)))


def _span(name: str, first: datetime, last: datetime, margin: timedelta) -> dict[str, datetime]:
    """Bind parameters of the window `name`: from `margin` before the first target to after the last."""
    return {f"{name}_from": first - margin, f"{name}_to": last + margin}


def _values(rows: Iterable[tuple], column: str) -> set:
    """The distinct non-null values of `column` in proof rows."""
    at = AT[column]
    return {r[at] for r in rows} - {None}


def _times(rows: list[tuple]) -> list[datetime]:
    """Submission times of proof rows as aware UTC datetimes (they are read as naive UTC)."""
    at = AT["submitted_at"]
    return [r[at].replace(tzinfo=UTC) for r in rows if r[at] is not None]


def _middle(times: list[datetime]) -> datetime:
    """The mean of the targets' times: history is taken closest to it."""
    return times[0] + sum((t - times[0] for t in times), timedelta()) / len(times)


def _linked_workers(rows: Iterable[tuple], targets: list[tuple], same_phone: set[str], limit: int) -> list[str]:
    """Accounts met in the first lookups, strongest link first: a shared device, phone or file,
    then the same address, then the same campaign closest in time; capped at `limit`."""
    own = _values(targets, "worker_id")
    shared = [(AT[key], _values(targets, key)) for key in ("device_fp_hash", "screenshot_sha256")]
    address_at, addresses = AT["ip_hash"], _values(targets, "ip_hash")
    worker_at, submitted_at = AT["worker_id"], AT["submitted_at"]
    moment = _middle(_times(targets))
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
    frame = full_proof_frame(None if target_ids is None else set(target_ids))
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
    if rooms is None:
        rows = _rows(SESSIONS_QUERY)
    else:
        since, until = span if span else (None, None)
        rows = [row for params in _rounds(rooms=rooms)
                for row in _rows(lookups().sessions, {**params, "since": since, "until": until})]
    return _frame(rows, SESSION_COLUMNS, times=("starts_at", "ends_at"))


def _decisions(scope: tuple[Iterable[str], Iterable[str]] | None) -> pd.DataFrame:
    """Approved / rejected decisions of the scope's accounts and proofs (all of them when scope is None)."""
    if scope is None:
        return all_decisions()  # column-wise
    workers, proofs = scope
    rows = [row for params in _rounds(workers=workers, proofs=proofs)
            for row in _rows(lookups().decisions, params)]
    rows = list(dict.fromkeys(rows))  # each decision once, first seen first
    return _frame(rows, DECISION_COLUMNS, times=("decided_at",))


def _frame(rows: list[tuple], columns: tuple[str, ...] | list[str], times: tuple[str, ...]) -> pd.DataFrame:
    """A frame of database rows, each column as read (object: pandas' inference of a type per column
    cost more than the rest of building one proof's context, and the rules take either), `times`
    made aware UTC."""
    out = pd.DataFrame(rows, columns=list(columns), dtype=object)
    for column in times:
        out[column] = utc_times(out[column].to_numpy())
    return out

"""Every stored proof as the rules' columns, read column-wise: the full-context loader.

A full load (batch scoring, training features, a backtest) reads the proofs, workers and campaigns
tables once each. The driver's rows become one 2-D object array per table (SQLAlchemy's row objects
and a frame built row by row cost more than the reading), workers and campaigns join by an index
lookup, and on PostgreSQL the times come as microseconds since the epoch, so no datetime object is
made per value. The frame is the one the row-wise loader builds: the same columns, object values
as the driver gives them, times aware UTC.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa

from app.platform.sql import is_postgres
from app.scoring.services.context_queries import CAMPAIGN_FIELDS, PROOF_QUERY, WORKER_FIELDS
from models import Campaign, Proof, ReviewDecision, Worker, db
from review_rules.context import DECISION_COLUMNS, PROOF_COLUMNS, TIME_COLUMNS

P, W, C, D = Proof.__table__, Worker.__table__, Campaign.__table__, ReviewDecision.__table__
NAT = np.iinfo(np.int64).min


def ticks(column: sa.ColumnElement) -> sa.ColumnElement:
    """A naive UTC timestamp as whole microseconds since the epoch, NAT's integer where missing."""
    micros = sa.cast(sa.extract("epoch", column) * 1_000_000, sa.BigInteger)
    return sa.func.coalesce(micros, sa.literal(NAT, sa.BigInteger))


def _select(key: sa.Column, fields: dict[str, sa.ColumnElement], postgres: bool) -> sa.Select:
    """key, then `fields` (each time column as ticks on PostgreSQL)."""
    return sa.select(key, *[(ticks(c) if postgres and name in TIME_COLUMNS else c).label(name)
                            for name, c in fields.items()])


def read_table(query: sa.Select) -> np.ndarray:
    """The rows of `query` as a 2-D object array (on PostgreSQL the driver's tuples as they are:
    the columns read here need no conversion by SQLAlchemy)."""
    result = db.session.connection().execute(query)
    width = len(result.keys())
    rows = result.cursor.fetchall() if is_postgres() else [tuple(row) for row in result.all()]
    result.close()
    return np.array(rows, dtype=object).reshape(len(rows), width) if rows else np.empty((0, width), dtype=object)


_EPOCH, _MICROSECOND = datetime(1970, 1, 1), timedelta(microseconds=1)


def utc_times(values: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Naive UTC datetimes (None where missing) as aware UTC, through their microsecond ticks: a third
    of the cost of pandas parsing the objects."""
    ticks = np.fromiter((NAT if v is None else (v - _EPOCH) // _MICROSECOND for v in values),
                        dtype=np.int64, count=len(values))
    return pd.array(ticks.view("M8[us]")).tz_localize("UTC")


def column_times(values: np.ndarray, postgres: bool) -> pd.api.extensions.ExtensionArray:
    if postgres:  # read as ticks already
        return pd.array(values.astype(np.int64).view("M8[us]")).tz_localize("UTC")
    return utc_times(values)


def full_proof_frame(targets: set[str] | None) -> pd.DataFrame:
    """Every proof (PROOF_COLUMNS, ordered by id); `is_target` where the id is in `targets` (all when None)."""
    postgres = is_postgres()
    proof_fields = {c.name: c for c in PROOF_QUERY.selected_columns}
    proof_fields.pop("proof_id")
    proofs = read_table(_select(P.c.id.label("proof_id"), proof_fields, postgres).order_by(P.c.id))
    names = ["proof_id", *proof_fields]
    columns = {name: proofs[:, k] for k, name in enumerate(names)}
    for key, fields, table in (("worker_id", WORKER_FIELDS, W), ("campaign_id", CAMPAIGN_FIELDS, C)):
        rows = read_table(_select(table.c.id, fields, postgres))
        at = pd.Index(rows[:, 0]).get_indexer(columns[key])  # primary keys: unique
        missing = np.array([[NAT if postgres and name in TIME_COLUMNS else None for name in fields]], dtype=object)
        padded = np.concatenate([rows[:, 1:], missing])  # row -1: a proof whose worker / campaign is unknown
        columns.update({name: padded[at, k] for k, name in enumerate(fields)})
    ids = columns["proof_id"]
    columns["is_target"] = np.ones(len(ids), dtype=bool) if targets is None else \
        pd.Index(list(targets), dtype=object).get_indexer(ids) >= 0 if targets else np.zeros(len(ids), dtype=bool)
    frame = pd.DataFrame({name: columns[name] for name in PROOF_COLUMNS if name != "is_target"}, dtype=object)
    for name in TIME_COLUMNS:
        frame[name] = column_times(frame[name].to_numpy(), postgres)
    frame.insert(PROOF_COLUMNS.index("is_target"), "is_target", columns["is_target"])
    return frame


def all_decisions() -> pd.DataFrame:
    """Every approve / reject decision (DECISION_COLUMNS, decided_at aware UTC), read column-wise on
    PostgreSQL (times as ticks) the way the proofs are: context._decisions(None)'s frame, value for value."""
    postgres = is_postgres()
    decided = ticks(D.c.decided_at) if postgres else sa.type_coerce(D.c.decided_at, sa.DateTime())
    rows = read_table(sa.select(D.c.proof_id, P.c.worker_id, D.c.decision, decided.label("decided_at"))
                      .select_from(D.join(P, P.c.id == D.c.proof_id))
                      .where(D.c.decision.in_(("approved", "rejected"))))
    frame = pd.DataFrame({name: rows[:, k] for k, name in enumerate(DECISION_COLUMNS[:3])}, dtype=object)
    frame["decided_at"] = column_times(rows[:, 3], postgres)
    return frame

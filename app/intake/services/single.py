"""One new proof on PostgreSQL in two round trips and the commit: the API's most frequent request.

`intake.ingest_proofs` reads, locks and writes in some ten statements, one concern each; for a
single proof that is most of the request's time. Here the same checks and writes take two
statements, the first sent together with the transaction's start:

1. lock the campaign row (as `capacity(lock=True)` does) and read in the same statement whether
   the worker exists, whether the id is stored and whether the worker has a ban in force;
2. insert the proof only while a slot is free, and when it was inserted append its audit event to
   the chain (`audit.chained_append_sql`: the chain's lock is taken after the campaign's, as with
   `record()`). A slot is surely free while the campaign's stored proofs of any state
   (`proofs_received`, read under the lock) are fewer than it may take; only nearer the cap does the
   statement count the live ones (in a new snapshot, taken after the lock, so concurrent intakes
   cannot overshoot). Counting cost a millisecond per thousand proofs of the campaign.

The server may reuse generic plans of both (below, `_GENERIC_PLANS_FROM_HERE`).

Encrypting the proof and encoding its audit event come first: the campaign's lock, which every
intake on the campaign waits for, is held for the two statements and the commit only.

Anything but the plain case (an invalid item, an unknown campaign or worker, a stored id, a full or
inactive campaign, a banned worker, a race lost to a concurrent insert) returns
None having written nothing, and the caller takes the general path, which gives the same answers
and errors as for a batch. The new proof is `received`, so `jobs.request_pending_scoring` scores it.
"""
from __future__ import annotations

import functools
from typing import Any

import sqlalchemy as sa

from app.intake.services import evidence, records
from app.intake.services.intake import IntakeResult
from app.money.services.funding import RELEASED_STATES
from app.platform.audit import chained_append_params, chained_append_sql, record
from app.platform.bulk import json_rows
from app.platform.pii import PiiVault
from app.platform.sql import pipelined_first
from models import ApiClient, Campaign, Proof, Worker, WorkerSanction, db, utcnow


def ingest_single(item: Any, vault: PiiVault, client: ApiClient | None) -> IntakeResult | None:
    """Store one new proof with its audit event (flushed, the caller commits), or None: take the
    general path. PostgreSQL only (elsewhere always None)."""
    if not isinstance(item, dict):
        return None
    connection = db.session.connection()  # Core statements on the session's connection
    if connection.dialect.name != "postgresql":
        return None
    try:
        row = records.parse_proof(item)
    except records.RecordError:
        return None  # the general path names the field
    # Encrypting and encoding come before the campaign's lock: every intake on the campaign waits for it.
    columns = {**evidence.proof_columns(row, vault), "source": "api"}
    names, payload = json_rows(Proof.__table__, [columns])
    event = ("proof.ingested", "api_client", str(client.id) if client else "-")
    label = f"api:{client.name}" if client else "api"
    audit = chained_append_params(*event, actor_label=label, data={"accepted": 1, "duplicate": 0,
                                                                    "proof_ids": [row["id"]]})
    screen, constants = _screen_statement(connection.dialect)
    found = pipelined_first(connection, (_GENERIC_PLANS_FROM_HERE, screen), {
        **constants, "campaign": row["campaign_id"], "worker": row["worker_id"], "id": row["id"],
        "now": _NOW_TYPE.process_bind_param(utcnow(), connection.dialect)})
    if found is None or found.status != "active" or not found.worker_known or found.stored or found.banned:
        return _general_path(connection)
    allowed = found.budget_cents // found.reward_cents
    if found.max_completions is not None:
        allowed = min(allowed, found.max_completions)
    counted = found.proofs_received >= allowed  # below it, live <= received < allowed: no count needed
    inserted, event_id = connection.execute(_insert_statement(names, counted), {
        "rows": payload, "campaign": row["campaign_id"], "released": list(RELEASED_STATES), "allowed": allowed,
        **audit}).one()
    if inserted is None:
        return _general_path(connection)  # refused or raced: nothing was written (the campaign lock alone was taken)
    if event_id is None:  # no chain head yet (a new database): record() creates it
        record(*event, actor_label=label, data={"accepted": 1, "duplicate": 0, "proof_ids": [inserted]})
    return IntakeResult(ids=[inserted], new_ids=[inserted], pending_scoring=True)


def _general_path(connection: sa.Connection) -> None:
    """None, after putting back the session's plan cache mode for the rest of the transaction: the
    general path's statements are planned as everywhere else."""
    connection.execute(_RESTORE_PLAN_CACHE_MODE)


# Both statements are the same every time and read tables by primary key or by a worker's id (and
# near the cap a campaign's live proofs through `ix_proofs_campaign_state`). Planned for each request
# (every connection's force_custom_plan, app/__init__.py) they cost a third of PostgreSQL's work per
# request (its CPU per request went from 1.5 to 1.0 ms with this and the round trip saved below).
# The transaction starts by setting the plan cache mode to `auto` for itself alone (set_config(...,
# true)), so the server reuses generic plans, and sends that with BEGIN and the screen in one round
# trip (`sql.pipelined_first`).
_GENERIC_PLANS_FROM_HERE = "SELECT set_config('plan_cache_mode', 'auto', true)"
_RESTORE_PLAN_CACHE_MODE = sa.text(
    "SELECT set_config('plan_cache_mode', reset_val, true) FROM pg_settings WHERE name = 'plan_cache_mode'")
_NOW_TYPE = WorkerSanction.__table__.c.starts_at.type


@functools.cache
def _screen_statement(dialect: sa.Dialect) -> tuple[str, dict[str, Any]]:
    """The statement's text for the driver, and the values of its constant parameters."""
    compiled = _screen_select().compile(dialect=dialect)
    return str(compiled), {name: bind.value for name, bind in compiled.binds.items() if bind.value is not None}


def _screen_select() -> sa.Select:
    campaign, sanction = Campaign.__table__.c, WorkerSanction.__table__.c  # tables, not entities: no ORM pass
    now = sa.bindparam("now", type_=sanction.starts_at.type)
    banned = sa.exists().where(
        sanction.worker_id == sa.bindparam("worker"), sanction.kind == "ban", sanction.revoked_at.is_(None),
        sanction.starts_at <= now, sa.or_(sanction.ends_at.is_(None), sanction.ends_at > now))
    return sa.select(
        campaign.status, campaign.reward_cents, campaign.budget_cents, campaign.max_completions,
        campaign.proofs_received,
        sa.exists().where(Worker.__table__.c.id == sa.bindparam("worker")).label("worker_known"),
        sa.exists().where(Proof.__table__.c.id == sa.bindparam("id")).label("stored"),
        banned.label("banned"),
    ).where(campaign.id == sa.bindparam("campaign")).with_for_update(of=Campaign.__table__)


@functools.cache
def _insert_statement(names: tuple[str, ...], counted: bool) -> sa.TextClause:
    table = Proof.__tablename__
    columns = ", ".join(f'"{name}"' for name in names)
    live = (f'WITH live AS (SELECT count(*) AS n FROM "{table}" WHERE campaign_id = :campaign '
            f"AND state <> ALL(CAST(:released AS text[]))), " if counted else "WITH ")
    return sa.text(
        f'{live}added AS (INSERT INTO "{table}" ({columns}) SELECT {columns} FROM json_populate_recordset('
        f'NULL::"{table}", CAST(:rows AS json)) {"WHERE (SELECT n FROM live) < :allowed " if counted else ""}'
        f'ON CONFLICT ("id") DO NOTHING RETURNING "id"), '
        f"{chained_append_sql('EXISTS (SELECT 1 FROM added)')} "
        f"SELECT (SELECT id FROM added) AS inserted, (SELECT id FROM chain_event) AS event_id")

"""Bulk inserts that skip rows whose primary key already exists (idempotent loads)."""
from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from datetime import date, datetime

import sqlalchemy as sa

from app.platform.sql import among, insert, is_postgres, per_dialect
from models import db

ANALYZE_FROM = 5000  # new rows in one table after which the planner's statistics are refreshed


def refresh_statistics(*tables: sa.Table) -> None:
    """Fresh PostgreSQL planner statistics after a bulk load (a no-op elsewhere).

    Without them (autovacuum off, or not caught up yet) the planner takes a table of a million rows
    for an empty one and picks plans that turn a 30 ms history lookup into 700 ms. ANALYZE inside
    the loading transaction counts that transaction's own new rows.
    """
    if not is_postgres():
        return
    for table in tables:
        db.session.execute(sa.text(f'ANALYZE "{table.name}"'))


def vacuum_after_bulk_load(*tables: sa.Table) -> None:
    """VACUUM (ANALYZE) the tables on PostgreSQL, after the loading transaction committed.

    Besides fresh statistics this marks the loaded pages all-visible, which lets counts such as
    a campaign's live proofs come from an index alone. Autovacuum would get there eventually;
    when it is off or behind, a fresh million-row load would otherwise be read page by page.
    VACUUM cannot run inside a transaction, so it takes its own autocommit connection.
    """
    engine = db.engine
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in tables:
            connection.execute(sa.text(f'VACUUM (ANALYZE) "{table.name}"'))


def existing_keys(table: sa.Table, column: str, keys: Iterable[str]) -> set[str]:
    keys = list(keys)
    found: set[str] = set()
    query = _present(table, column)
    for start in range(0, len(keys), 900):  # stay under SQLite's bound-parameter limit
        found.update(db.session.scalars(query, {"keys": keys[start:start + 900]}))
    return found


@per_dialect
def _present(dialect: str, table: sa.Table, column: str) -> sa.Select:
    return sa.select(table.c[column]).where(among(table.c[column], "keys", dialect))


def insert_new(table: sa.Table, rows: list[dict], key: str = "id") -> list[str]:
    """Insert the rows whose key is not stored yet; returns the keys inserted.

    ON CONFLICT DO NOTHING covers a concurrent loader inserting the same key in between.
    """
    if not rows:
        return []
    present = existing_keys(table, key, (r[key] for r in rows))
    fresh = [r for r in rows if r[key] not in present]
    insert_ignoring_conflicts(table, fresh, key)
    return [r[key] for r in fresh]


def insert_ignoring_conflicts(table: sa.Table, rows: list[dict], key: str = "id") -> None:
    """Insert the rows, skipping any whose key is stored already, without reading first: for
    rows that are new but for a rare race (one proof's queue entry)."""
    if rows:
        db.session.execute(_insert_or_skip(table, key), rows)


@per_dialect
def _insert_or_skip(dialect: str, table: sa.Table, key: str) -> sa.Insert:
    return insert(table, dialect).on_conflict_do_nothing(index_elements=[key])


def upsert(table: sa.Table, rows: list[dict], key: str) -> None:
    """Insert the rows, or replace every given column of the row already stored under their key."""
    if rows:
        db.session.execute(_upsert(table, key, tuple(rows[0])), rows)


@per_dialect
def _upsert(dialect: str, table: sa.Table, key: str, columns: tuple[str, ...]) -> sa.Insert:
    statement = insert(table, dialect)
    return statement.on_conflict_do_update(
        index_elements=[key], set_={column: statement.excluded[column] for column in columns if column != key})


RETURNING_ROWS = 400  # rows per statement: under SQLite's 32,766 bound parameters at 80 columns


def insert_returning(table: sa.Table, rows: list[dict], key: str = "id") -> set[str]:
    """Insert the rows whose key is not stored yet and return exactly the keys this call inserted.

    INSERT ... ON CONFLICT DO NOTHING RETURNING (on PostgreSQL the rows as one JSON parameter,
    elsewhere multi-row statements of RETURNING_ROWS rows, SQLAlchemy's "insertmanyvalues"): no
    read first, and a row a concurrent writer stored in between is simply not returned. For the
    rows of an API request; a bulk load keeps `insert_new` (RETURNING over executemany halved its speed).
    """
    if not rows:
        return set()
    if is_postgres():
        return _insert_returning_json(table, rows, key)
    return set(db.session.scalars(_insert_returning(table, key), rows))


def _insert_returning_json(table: sa.Table, rows: list[dict], key: str) -> set[str]:
    """PostgreSQL: the whole batch as one JSON parameter, `INSERT ... SELECT FROM json_populate_recordset`.

    A multi-row VALUES statement has one placeholder per value, and psycopg re-parsed that query
    text (tens of thousands of placeholders, too long for its cache) on every request: two thirds
    of a 500-proof request. One JSON text is encoded in C and parsed by the server in a few ms.
    Column defaults (state, timestamps) are filled in here, as the ORM would.
    """
    names, payload = json_rows(table, rows)
    return set(db.session.scalars(_json_insert(table, key, names), {"rows": payload}))


def json_rows(table: sa.Table, rows: list[dict]) -> tuple[tuple[str, ...], str]:
    """(column names, JSON text) of `rows` as `json_populate_recordset(NULL::table, ...)` reads them:
    column defaults filled in and column types' bind processing applied, as the ORM would."""
    dialect = db.session.get_bind().dialect
    defaulted, convert = _row_encoding(table, dialect, frozenset(rows[0]))
    fill = {column.name: _default(column) for column in defaulted}
    encoded = []
    for row in rows:
        row = {**row, **fill}
        for name, process in convert.items():
            if name in row:
                row[name] = process(row[name])
        encoded.append(row)
    payload = json.dumps(encoded, default=_json_value, ensure_ascii=False, separators=(",", ":"))
    return tuple(encoded[0]), payload


@functools.cache
def _row_encoding(table: sa.Table, dialect: sa.Dialect, given: frozenset[str]) -> tuple[list[sa.Column], dict]:
    """The columns `json_rows` fills with their default (not given, with a default) and the bind
    processors of the given columns' types, worked out once per table and set of keys."""
    defaulted = [column for column in table.c if column.name not in given and column.default is not None]
    convert = {column.name: column.type.bind_processor(dialect) for column in table.c
               if isinstance(column.type, sa.TypeDecorator)}
    return defaulted, convert


def _json_value(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value this insert can send")


def _default(column: sa.Column):  # noqa: ANN202 - the column's Python-side default value
    default = column.default
    return default.arg(None) if default.is_callable else default.arg


@per_dialect
def _json_insert(dialect: str, table: sa.Table, key: str, names: tuple[str, ...]) -> sa.TextClause:
    columns = ", ".join(f'"{name}"' for name in names)
    return sa.text(f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} FROM json_populate_recordset('
                   f'NULL::"{table.name}", CAST(:rows AS json)) ON CONFLICT ("{key}") DO NOTHING RETURNING "{key}"')


@per_dialect
def _insert_returning(dialect: str, table: sa.Table, key: str) -> sa.Insert:
    return insert(table, dialect).on_conflict_do_nothing(index_elements=[key]).returning(table.c[key]) \
        .execution_options(insertmanyvalues_page_size=RETURNING_ROWS)

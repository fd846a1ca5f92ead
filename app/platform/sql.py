"""Statements built once per database dialect and reused with bind parameters.

One proof scored online runs some twenty statements. Building each afresh (coercing its columns
and clauses, then deriving the key of SQLAlchemy's compiled cache) cost about 3 ms a request on
the 2-core machine, more than running several of them. A statement object kept and executed
again skips both: SQLAlchemy keeps its cache key on the object.
"""
from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from psycopg.rows import namedtuple_row
from sqlalchemy.dialects import postgresql

from models import db

T = TypeVar("T")


def dialect_name() -> str:
    return db.session.get_bind().dialect.name


def is_postgres() -> bool:
    return dialect_name() == "postgresql"


def per_dialect(build: Callable[..., T]) -> Callable[..., T]:
    """`build(dialect, *args)` run once per dialect and arguments; call the result with `*args` only."""
    cached = functools.cache(build)

    @functools.wraps(build)
    def current(*args: object) -> T:
        return cached(dialect_name(), *args)

    return current


def among(column: sa.ColumnElement, name: str, dialect: str) -> sa.ColumnElement:
    """`column IN :name` for a list bound at execution; on PostgreSQL `= ANY(:name)`, one array
    parameter (one statement text and one server-side plan whatever the list's length)."""
    if dialect == "postgresql":
        return column == sa.any_(sa.bindparam(name, type_=postgresql.ARRAY(column.type)))
    return column.in_(sa.bindparam(name, expanding=True))


def insert(table: sa.Table, dialect: str):  # noqa: ANN201 - the dialect's Insert, which has on_conflict_*
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        from sqlalchemy.dialects import sqlite

        return sqlite.insert(table)
    raise RuntimeError(f"unsupported database {dialect}")  # pragma: no cover - only the two supported databases


def pipelined_first(connection: sa.Connection, statements: tuple[str, ...], params: dict[str, Any]) -> Any:
    """PostgreSQL (psycopg 3): send `statements` in one round trip (pipeline mode), with the BEGIN
    when they start the transaction, the last with `params` (driver placeholders: compile the statement
    for the connection's dialect); the last statement's first row, as a named tuple, or None.

    Each statement apart costs a round trip: the client waits, then the server, a few tenths of a
    millisecond of CPU between them on a busy machine, and locks taken meanwhile are held longer."""
    driver = connection.connection.driver_connection
    with driver.cursor(row_factory=namedtuple_row) as cursor:
        with driver.pipeline():
            for statement in statements[:-1]:
                cursor.execute(statement)
            cursor.execute(statements[-1], params)
        return cursor.fetchone()  # the pipeline's end synchronised: every result is here

"""Declarative base, the shared `db` handle and column types used by every aggregate."""
from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """Stores naive UTC, returns aware UTC, so SQLite and PostgreSQL behave alike."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: times must carry an offset")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)




class DomainError(Exception):
    """A request that breaks a business rule; views answer it with a 4xx."""

    status_code = 409


class IllegalTransition(DomainError):
    """A state machine refused a move."""


class NotFound(DomainError):
    status_code = 404


def checked_transition(what: str, states: type[enum.Enum], transitions: Mapping[Any, frozenset],
                       current: str, target: str) -> Any:
    """The target state of a state machine, or IllegalTransition naming `what` and both ends."""
    try:
        src, dst = states(current), states(target)
    except ValueError as exc:
        raise IllegalTransition(f"unknown {what} state in {current!r} -> {target!r}") from exc
    if dst not in transitions[src]:
        raise IllegalTransition(f"a {what} cannot go from {src.value} to {dst.value}")
    return dst

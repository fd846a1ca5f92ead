"""Pooled connections are pinged before use only after sitting idle, and a dead one is replaced."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from app.platform import dbpool
from config import sqlalchemy_url
from models import db


def _count_pings(monkeypatch: pytest.MonkeyPatch, engine: sa.Engine) -> list[int]:
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counted(dbapi_connection):  # noqa: ANN001, ANN202
        pings.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counted)
    return pings


def test_the_app_pings_only_connections_that_sat_idle(app, monkeypatch: pytest.MonkeyPatch) -> None:
    with app.app_context():
        pings = _count_pings(monkeypatch, db.engine)
        for _ in range(3):  # request after request: the connection was just handed back
            db.session.execute(sa.text("SELECT 1"))
            db.session.commit()
            db.session.remove()
        assert pings == []
        now = time.monotonic()
        monkeypatch.setattr(dbpool.time, "monotonic", lambda: now + app.config["DB_PING_IDLE_SECONDS"] + 5)
        db.session.execute(sa.text("SELECT 1"))
        db.session.remove()
        assert pings == [1]


def test_a_connection_killed_while_idle_is_replaced_unseen(database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs a server that can end a session")
    engine = sa.create_engine(sqlalchemy_url(database_url), pool_size=1, max_overflow=0)
    dbpool.ping_idle_connections(engine, idle_seconds=0.05)
    admin = sa.create_engine(sqlalchemy_url(database_url), isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            killed = conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        with admin.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": killed}).scalar_one()
        time.sleep(0.1)
        with engine.connect() as conn:  # without the ping this statement would fail on the dead socket
            assert conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one() != killed
    finally:
        engine.dispose()
        admin.dispose()

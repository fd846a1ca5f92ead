"""Check a pooled database connection before use only when it has sat idle.

SQLAlchemy's `pool_pre_ping` pings at every checkout: a round trip to PostgreSQL before every
request (one of five for a single-proof API request). A connection handed back a
moment ago is as alive as the request that used it proved it to be; one that sat idle may have been
cut (a restarted server, a dropped link). So, as connection pools such as HikariCP do, a connection
is pinged only when it was last returned to the pool more than `idle_seconds` ago; a dead one is
discarded and the pool connects anew, without the caller seeing an error.
"""
from __future__ import annotations

import time
import weakref
from typing import Any

from sqlalchemy import event, exc
from sqlalchemy.engine import Engine

RETURNED_AT = "workbench_returned_at"
_installed: weakref.WeakSet[Engine] = weakref.WeakSet()


def ping_idle_connections(engine: Engine, idle_seconds: float) -> None:
    """Install the check on `engine`'s pool (once per engine)."""
    if engine in _installed:
        return
    _installed.add(engine)
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def stamp(dbapi_connection: Any, record: Any) -> None:
        if dbapi_connection is not None:  # None: the connection was invalidated on its way back
            record.info[RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned_at = record.info.get(RETURNED_AT)
        if returned_at is None or time.monotonic() - returned_at <= idle_seconds:
            return  # just connected (`info` starts empty with every new connection), or used a moment ago
        try:
            dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            # The pool discards this connection and checks out another (connecting anew if need be).
            raise exc.DisconnectionError("a connection that sat idle in the pool was dead") from error

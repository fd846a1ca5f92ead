"""Locks that one kind of work holds across processes and machines, and that die with their holder.

On PostgreSQL a session advisory lock, taken on a connection of its own: a process killed with
SIGKILL closes that connection and the server releases the lock at once. On SQLite (one machine,
the demo) an flock on a file next to the database does the same.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from models import db


class LockTimeout(RuntimeError):
    """Someone else held the lock for longer than we were willing to wait."""


def _key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def exclusive(name: str, wait_seconds: float, lock_dir: Path) -> Iterator[None]:
    """Hold the lock `name` for the block, waiting up to `wait_seconds` for its holder to finish."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            _acquire(lambda: connection.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": _key(name)})
                     .scalar(), name, wait_seconds)
            connection.commit()
            try:
                yield
            finally:
                connection.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _key(name)})
                connection.commit()
        return
    lock_dir.mkdir(parents=True, exist_ok=True)
    with (lock_dir / f"{name}.lock").open("w") as handle:
        _acquire(lambda: _try_flock(handle), name, wait_seconds)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _try_flock(handle) -> bool:  # noqa: ANN001 - an open file
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _acquire(attempt, name: str, wait_seconds: float) -> None:  # noqa: ANN001 - () -> bool
    deadline = time.monotonic() + wait_seconds
    pause = 0.05
    while not attempt():
        if time.monotonic() >= deadline:
            raise LockTimeout(f"{name} is held by another process (waited {wait_seconds:g} s)")
        time.sleep(pause)
        pause = min(pause * 2, 1.0)


def for_this_transaction(name: str) -> None:
    """Wait for, then hold until commit or rollback, the lock `name` in the session's own transaction:
    for work that replaces rows wholesale (delete, insert), where two runs at once would collide. On
    SQLite the database's single writer already serialises them."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _key(name)})

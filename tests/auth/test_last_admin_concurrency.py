"""Two admins demoting each other at the same moment on PostgreSQL: one of them stays admin."""
from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from app.auth.services import accounts
from app.auth.services.staff import StaffError
from models import StaffUser, db


def test_two_admins_demoting_each_other_leave_one_admin(app, staff):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time by construction; the lock matters on PostgreSQL")
    ids = [staff("admin", f"admin{n}@example.test").id for n in range(2)]
    db.session.commit()
    start, refused, errors = threading.Barrier(2), [], []

    def demote(n: int) -> None:
        with app.app_context():
            try:
                start.wait()
                actor = db.session.get(StaffUser, ids[n])
                accounts.change_role(ids[1 - n], "operator", actor=actor, reason="reorganised")
                db.session.commit()
            except StaffError:
                refused.append(n)
            except Exception as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=demote, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(refused) == 1
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(StaffUser.role == "admin")) == 1

"""Two admins demoting each other at the same moment on PostgreSQL: one of them stays admin."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth.services import accounts
from app.auth.services.staff import StaffError
from models import StaffUser, db
from tests.together import run_together


def test_two_admins_demoting_each_other_leave_one_admin(app, staff):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time by construction; the lock matters on PostgreSQL")
    ids = [staff("admin", f"admin{n}@example.test").id for n in range(2)]
    db.session.commit()
    raised = run_together(app, *(
        lambda n=n: accounts.change_role(ids[1 - n], "operator", actor=db.session.get(StaffUser, ids[n]),
                                         reason="reorganised") for n in range(2)))
    assert len(raised) == 1 and isinstance(raised[0], StaffError)
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(StaffUser.role == "admin")) == 1

"""Idempotent inserts: only keys not stored yet are written, and the caller learns which."""
from __future__ import annotations

import sqlalchemy as sa

from app.platform.bulk import RETURNING_ROWS, insert_new, insert_returning
from models import RuleSet, db

TABLE = RuleSet.__table__


def _rows(versions: range) -> list[dict]:
    return [{"version": v, "status": "draft", "config": {"v": v}} for v in versions]


def test_insert_returning_names_exactly_the_rows_it_inserted(app):
    insert_new(TABLE, _rows(range(1, 4)), key="version")
    first = {"version": 2, "status": "draft", "config": {"other": True}}
    added = insert_returning(TABLE, [first, *_rows(range(4, 6))], key="version")
    assert added == {4, 5}
    stored = dict(db.session.execute(sa.select(RuleSet.version, RuleSet.config)).all())
    assert stored[2] == {"v": 2}  # the existing row is left as it was
    assert sorted(stored) == [1, 2, 3, 4, 5]


def test_insert_returning_works_past_one_statement(app):
    count = RETURNING_ROWS + 7
    assert insert_returning(TABLE, _rows(range(1, count + 1)), key="version") == set(range(1, count + 1))
    assert insert_returning(TABLE, _rows(range(count - 2, count + 3)), key="version") == {count + 1, count + 2}

"""Lists that grow for ever, newest first, a page at a time: the page after one starts below its
last id (`?before=ID`), so a row added meanwhile never shifts a page and nothing is shown twice."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import request

from models import db


@dataclass(frozen=True)
class NewestFirst:
    rows: list[Any]
    before: int | None  # the id this page starts below (None: the newest page)
    older: int | None  # `before` of the next page; None: no older row

    @property
    def paged(self) -> bool:
        return self.before is not None or self.older is not None


def asked_before() -> int | None:
    """The page the request asks for (`?before=ID`; anything else is the newest page)."""
    given = request.args.get("before", "")
    return int(given) if given.isascii() and given.isdigit() and len(given) < 19 else None  # '²' is a digit too


def newest_first(query: sa.Select, key: sa.ColumnElement, before: int | None, size: int) -> NewestFirst:
    """One page of `query` (whole rows, ordered here by `key` descending): `size` rows below `before`."""
    if before is not None:
        query = query.where(key < before)
    found = list(db.session.scalars(query.order_by(key.desc()).limit(size + 1)))
    more = len(found) > size
    rows = found[:size]
    return NewestFirst(rows=rows, before=before, older=_key_of(rows[-1], key) if more else None)


def _key_of(row: Any, key: sa.ColumnElement) -> int:
    return int(getattr(row, key.key))

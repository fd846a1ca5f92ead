"""What an open compliance case holds back: SQL conditions the money services put in their queries.

- A case on a brand (or on one of its campaigns) holds the release of that brand's campaigns' escrow:
  no proof of theirs settles, and no unused escrow goes back to the brand, until the case is closed.
- A case on a worker or a ring holds the payouts of the workers attached to it.

Conditions, not lookups, so a settlement chunk of a million proofs pays one indexed EXISTS per row
instead of a query per proof. This module imports only models: money imports it.
"""
from __future__ import annotations

import sqlalchemy as sa

from models import OPEN_CASE_STATES, CaseItem, ComplianceCase, db

CASES = ComplianceCase.__table__
ITEMS = CaseItem.__table__


def campaign_held(campaign_id: sa.ColumnElement, brand_id: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """SQL: an open case on the campaign's brand, or on the campaign itself."""
    return sa.exists().where(CASES.c.status.in_(OPEN_CASE_STATES), sa.or_(
        sa.and_(CASES.c.subject_type == "brand", CASES.c.subject_id == brand_id),
        sa.and_(CASES.c.subject_type == "campaign", CASES.c.subject_id == campaign_id)))


def worker_held(worker_id: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """SQL: the worker is attached to an open case (a worker case, or a member of a ring case)."""
    return sa.exists().where(ITEMS.c.kind == "worker", ITEMS.c.ref == worker_id, CASES.c.id == ITEMS.c.case_id,
                             CASES.c.status.in_(OPEN_CASE_STATES))


def open_brand_case_ids(brand_id: str) -> list[int]:
    return list(db.session.scalars(sa.select(CASES.c.id).where(
        CASES.c.status.in_(OPEN_CASE_STATES), CASES.c.brand_id == brand_id).order_by(CASES.c.id)))


def campaign_is_held(campaign_id: str, brand_id: str) -> bool:
    return bool(db.session.scalar(sa.select(campaign_held(sa.literal(campaign_id), sa.literal(brand_id)))))

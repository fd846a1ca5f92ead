"""review items get a fixed sort key: risk x money at stake x age against the queue's service level,
and carry their proof's worker and reward (the grouped list reads them without joining proofs)

Revision ID: 0220
Revises: 0210

The key (app/review/services/priority.py) is written by the app whenever an item is queued or moved;
this backfills the waiting items with the same formula, frozen here as it stood at this revision, and
the service levels configured for the app running the upgrade (REVIEW_SLA_HOURS) or the defaults.
Decided items keep 0: they are never ordered by it.
"""
import math
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = '0220'
down_revision = '0210'
branch_labels = None
depends_on = None

REFERENCE = datetime(2026, 1, 1)
DEFAULT_SLA_HOURS = {"hold": 4, "senior": 8, "review": 24, "auto": 72}


def _hours():
    try:
        from flask import current_app
        return {**DEFAULT_SLA_HOURS, **(current_app.config.get("REVIEW_SLA_HOURS") or {})}
    except RuntimeError:  # no app context (plain alembic)
        return dict(DEFAULT_SLA_HOURS)


def _key(risk, cents, arrived, queue, hours):
    if isinstance(arrived, str):
        arrived = datetime.fromisoformat(arrived)
    arrived = arrived.replace(tzinfo=None) if arrived.tzinfo else arrived
    tau = hours.get(queue, DEFAULT_SLA_HOURS["review"]) * 3600 / math.log(10.0)
    value = math.log(min(max(float(risk or 0.0), 0.01), 1.0)) + math.log(min(max(float(cents or 0), 1), 1_000_000))
    return value - (arrived - REFERENCE).total_seconds() / tau


def upgrade():
    with op.batch_alter_table('review_items') as batch:
        batch.add_column(sa.Column('sort_key', sa.Float(), server_default='0', nullable=False))
        batch.add_column(sa.Column('worker_id', sa.String(length=64), nullable=True))
        batch.add_column(sa.Column('money_cents', sa.BigInteger(), nullable=True))
    op.create_index('ix_review_items_queue_status_sort_key', 'review_items', ['queue', 'status', 'sort_key', 'id'])
    op.create_index('ix_review_items_campaign_queue_status_sort_key', 'review_items',
                    ['campaign_id', 'queue', 'status', 'sort_key'])
    op.create_index('ix_review_items_queue_status_worker', 'review_items',
                    ['queue', 'status', 'worker_id', 'priority', 'money_cents'])
    bind = op.get_bind()
    hours = _hours()
    rows = bind.execute(sa.text(
        "SELECT r.id, r.priority, c.reward_cents, r.created_at, r.queue, p.worker_id FROM review_items r"
        " JOIN proofs p ON p.id = r.proof_id LEFT JOIN campaigns c ON c.id = p.campaign_id"
        " WHERE r.status <> 'decided'")).all()
    update = sa.text("UPDATE review_items SET sort_key = :key, worker_id = :worker, money_cents = :cents"
                     " WHERE id = :item_id")
    for start in range(0, len(rows), 5000):
        bind.execute(update, [{"item_id": r[0], "key": _key(r[1], r[2], r[3], r[4], hours), "worker": r[5],
                               "cents": r[2]} for r in rows[start:start + 5000]])


def downgrade():
    op.drop_index('ix_review_items_queue_status_worker', table_name='review_items')
    op.drop_index('ix_review_items_campaign_queue_status_sort_key', table_name='review_items')
    op.drop_index('ix_review_items_queue_status_sort_key', table_name='review_items')
    with op.batch_alter_table('review_items') as batch:
        batch.drop_column('money_cents')
        batch.drop_column('worker_id')
        batch.drop_column('sort_key')

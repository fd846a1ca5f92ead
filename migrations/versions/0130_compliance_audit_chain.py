"""audit trail hash chain: before/after/reason, prev_hash/hash, the chain head; existing rows chained

Revision ID: 0130
Revises: 0006
Create Date: 2026-12-06 23:30:00

"""
import hashlib
import json
from datetime import UTC

import sqlalchemy as sa
from alembic import op

revision = '0130'
down_revision = '0120'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
BATCH = 5000


def _json_text(value):
    # Frozen copy of models.governance.canonical_json.
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=str)


def _canonical(at, actor_id, actor_label, action, object_type, object_id, data_text, prev_hash):
    # Frozen copy of app/platform/audit.canonical (encoding audit-v1) for rows that predate the chain.
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return json.dumps(["audit-v1", at.isoformat(timespec="microseconds") + "Z", actor_id, actor_label, action,
                       object_type, object_id, data_text, None, None, None, prev_hash],
                      ensure_ascii=False, separators=(",", ":")).encode()


def _chain_existing_rows():
    """Hash the events already stored, in id order, as if record() had written them."""
    conn = op.get_bind()
    events = sa.table("audit_events", sa.column("id"), sa.column("at", sa.DateTime()), sa.column("actor_id"),
                      sa.column("actor_label"), sa.column("action"), sa.column("object_type"),
                      sa.column("object_id"), sa.column("data"), sa.column("prev_hash"),
                      sa.column("hash"))
    prev, last_id, count, after = GENESIS, 0, 0, 0
    while True:
        rows = conn.execute(sa.select(events.c.id, events.c.at, events.c.actor_id, events.c.actor_label,
                                      events.c.action, events.c.object_type, events.c.object_id, events.c.data)
                            .where(events.c.id > after).order_by(events.c.id).limit(BATCH)).all()
        if not rows:
            break
        updates = []
        for row in rows:
            text = None if row[-1] is None else _json_text(json.loads(row[-1]))  # stored by SQLAlchemy's JSON
            digest = hashlib.sha256(_canonical(*row[1:-1], text, prev)).hexdigest()
            updates.append({"event_id": row[0], "p": prev, "h": digest, "d": text})
            prev, last_id, count = digest, row[0], count + 1
        conn.execute(events.update().where(events.c.id == sa.bindparam("event_id"))
                     .values(prev_hash=sa.bindparam("p"), hash=sa.bindparam("h"), data=sa.bindparam("d")),
                     updates)
        after = rows[-1][0]
    head = sa.table("audit_chain_head", sa.column("id"), sa.column("last_event_id"), sa.column("last_hash"),
                    sa.column("events"))
    conn.execute(head.insert().values(id=1, last_event_id=last_id, last_hash=prev, events=count))


def upgrade():
    op.create_table('audit_chain_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('last_event_id', sa.BigInteger(), nullable=False),
    sa.Column('last_hash', sa.String(length=64), nullable=False),
    sa.Column('events', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        # JSON is kept as canonical text (models.governance.CanonicalJSON): the hash covers the stored bytes
        batch_op.alter_column('data', existing_type=sa.JSON(), type_=sa.Text(), postgresql_using='data::text')
        batch_op.add_column(sa.Column('before', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('after', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('hash', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_audit_events_actor_label_id', ['actor_label', 'id'], unique=False)
        batch_op.create_index('ix_audit_events_action_id', ['action', 'id'], unique=False)
    _chain_existing_rows()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.alter_column('prev_hash', existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column('hash', existing_type=sa.String(length=64), nullable=False)


def downgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_action_id')
        batch_op.drop_index('ix_audit_events_actor_label_id')
        batch_op.drop_column('hash')
        batch_op.drop_column('prev_hash')
        batch_op.drop_column('reason')
        batch_op.drop_column('after')
        batch_op.drop_column('before')
        batch_op.alter_column('data', existing_type=sa.Text(), type_=sa.JSON(), postgresql_using='data::json')
    op.drop_table('audit_chain_head')

"""review items carry their proof's campaign, for a fast campaign filter on the queue

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 18:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.add_column(sa.Column('campaign_id', sa.String(length=64), nullable=True))
    op.execute("UPDATE review_items SET campaign_id = "
               "(SELECT proofs.campaign_id FROM proofs WHERE proofs.id = review_items.proof_id)")
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.alter_column('campaign_id', existing_type=sa.String(length=64), nullable=False)
        batch_op.create_index('ix_review_items_campaign_queue_status_priority',
                              ['campaign_id', 'queue', 'status', 'priority'], unique=False)


def downgrade():
    with op.batch_alter_table('review_items', schema=None) as batch_op:
        batch_op.drop_index('ix_review_items_campaign_queue_status_priority')
        batch_op.drop_column('campaign_id')

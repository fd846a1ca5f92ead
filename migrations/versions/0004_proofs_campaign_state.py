"""index proofs by (campaign, state): a campaign's live proofs are counted from the index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 19:45:00

"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('proofs', schema=None) as batch_op:
        batch_op.create_index('ix_proofs_campaign_state', ['campaign_id', 'state'], unique=False)


def downgrade():
    with op.batch_alter_table('proofs', schema=None) as batch_op:
        batch_op.drop_index('ix_proofs_campaign_state')

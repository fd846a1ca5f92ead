"""compliance: each brand's top linked group of accounts, and how concentrated its work is on the brand

Revision ID: 0191
Revises: 0190
Create Date: 2026-12-07 02:40:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0191'
down_revision = '0190'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('brand_ring_members',
    sa.Column('brand_id', sa.String(length=64), nullable=False),
    sa.Column('worker_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('brand_id', 'worker_id', name=op.f('pk_brand_ring_members'))
    )
    with op.batch_alter_table('brand_scorecards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('top_ring_concentration', sa.Float(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('brand_scorecards', schema=None) as batch_op:
        batch_op.drop_column('top_ring_concentration')
    op.drop_table('brand_ring_members')

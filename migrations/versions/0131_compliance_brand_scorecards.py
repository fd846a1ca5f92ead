"""compliance: rings of linked accounts and brand risk scorecards (a refreshed snapshot)

Revision ID: 0131
Revises: 0130
Create Date: 2026-12-06 23:45:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0131'
down_revision = '0130'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('worker_rings',
    sa.Column('worker_id', sa.String(length=64), nullable=False),
    sa.Column('ring_id', sa.BigInteger(), nullable=False),
    sa.Column('ring_size', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('worker_id', name=op.f('pk_worker_rings'))
    )
    with op.batch_alter_table('worker_rings', schema=None) as batch_op:
        batch_op.create_index('ix_worker_rings_ring_id', ['ring_id'], unique=False)
    op.create_table('brand_scorecards',
    sa.Column('brand_id', sa.String(length=64), nullable=False),
    sa.Column('proofs', sa.Integer(), nullable=False),
    sa.Column('decided', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('top_ring_id', sa.BigInteger(), nullable=True),
    sa.Column('top_ring_proofs', sa.Integer(), nullable=False),
    sa.Column('exclusive_proofs', sa.Integer(), nullable=False),
    sa.Column('rejected_share', sa.Float(), nullable=False),
    sa.Column('ring_share', sa.Float(), nullable=False),
    sa.Column('exclusive_share', sa.Float(), nullable=False),
    sa.Column('risk', sa.Float(), nullable=False),
    sa.Column('computed_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_brand_scorecards_brand_id_brands')),
    sa.PrimaryKeyConstraint('brand_id', name=op.f('pk_brand_scorecards'))
    )
    with op.batch_alter_table('brand_scorecards', schema=None) as batch_op:
        batch_op.create_index('ix_brand_scorecards_risk', ['risk', 'brand_id'], unique=False)


def downgrade():
    with op.batch_alter_table('brand_scorecards', schema=None) as batch_op:
        batch_op.drop_index('ix_brand_scorecards_risk')
    op.drop_table('brand_scorecards')
    with op.batch_alter_table('worker_rings', schema=None) as batch_op:
        batch_op.drop_index('ix_worker_rings_ring_id')
    op.drop_table('worker_rings')

"""entity-level relief: signal mutes and allowlists for a worker, address, device or campaign

Revision ID: 0170
Revises: 0160
Create Date: 2026-12-07 02:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0170'
down_revision = '0160'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'signal_mutes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('signal_code', sa.String(length=64), nullable=False),
        sa.Column('entity_kind', sa.String(length=16), nullable=False),
        sa.Column('entity_value', sa.String(length=128), nullable=False),
        sa.Column('source_proof_id', sa.String(length=64), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lifted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('lifted_by', sa.Integer(), nullable=True),
        sa.Column('lift_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['created_by'], ['staff_users.id']),
        sa.ForeignKeyConstraint(['lifted_by'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_signal_mutes_active', 'signal_mutes', ['lifted_at', 'expires_at'])
    op.create_index('ix_signal_mutes_entity', 'signal_mutes', ['entity_kind', 'entity_value'])


def downgrade():
    op.drop_index('ix_signal_mutes_entity', table_name='signal_mutes')
    op.drop_index('ix_signal_mutes_active', table_name='signal_mutes')
    op.drop_table('signal_mutes')

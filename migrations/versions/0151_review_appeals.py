"""workers' appeals against rejections

Revision ID: 0151
Revises: 0150
Create Date: 2026-12-06 23:55:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0151'
down_revision = '0150'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'appeals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proof_id', sa.String(length=64), nullable=False),
        sa.Column('worker_id', sa.String(length=64), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('appealed_decision_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['proof_id'], ['proofs.id']),
        sa.ForeignKeyConstraint(['worker_id'], ['workers.id']),
        sa.ForeignKeyConstraint(['appealed_decision_id'], ['review_decisions.id']),
        sa.ForeignKeyConstraint(['decided_by'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('proof_id'),
    )
    op.create_index('ix_appeals_status_created', 'appeals', ['status', 'created_at'])


def downgrade():
    op.drop_index('ix_appeals_status_created', table_name='appeals')
    op.drop_table('appeals')

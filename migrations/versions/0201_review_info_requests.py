"""questions to the worker about one proof (request more information)

Revision ID: 0201
Revises: 0200
"""
import sqlalchemy as sa
from alembic import op

revision = '0201'
down_revision = '0200'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'info_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proof_id', sa.String(length=64), nullable=False),
        sa.Column('question', sa.Text(), nullable=False),
        sa.Column('asked_by', sa.Integer(), nullable=False),
        sa.Column('asked_at', sa.DateTime(), nullable=False),
        sa.Column('due_at', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['proof_id'], ['proofs.id']),
        sa.ForeignKeyConstraint(['asked_by'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_info_requests_status_due', 'info_requests', ['status', 'due_at'])
    op.create_index('ix_info_requests_proof', 'info_requests', ['proof_id'])


def downgrade():
    op.drop_table('info_requests')

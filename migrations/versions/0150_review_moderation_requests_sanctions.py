"""moderation requests (four eyes, bulk actions) and worker sanctions

Revision ID: 0150
Revises: 0006
Create Date: 2026-12-06 23:30:00

"""
import sqlalchemy as sa
from alembic import op


revision = '0150'
down_revision = '0141'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'moderation_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('preview', sa.JSON(), nullable=False),
        sa.Column('four_eyes', sa.Text(), nullable=True),
        sa.Column('requested_by', sa.Integer(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('reviewed_by', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('review_note', sa.Text(), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['requested_by'], ['staff_users.id']),
        sa.ForeignKeyConstraint(['reviewed_by'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_moderation_requests_status_requested', 'moderation_requests', ['status', 'requested_at'])
    op.create_table(
        'worker_sanctions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('worker_id', sa.String(length=64), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('scope', sa.String(length=16), nullable=False),
        sa.Column('scope_id', sa.String(length=64), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=True),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('revoked_by', sa.Integer(), nullable=True),
        sa.Column('revoke_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['worker_id'], ['workers.id']),
        sa.ForeignKeyConstraint(['created_by'], ['staff_users.id']),
        sa.ForeignKeyConstraint(['revoked_by'], ['staff_users.id']),
        sa.ForeignKeyConstraint(['request_id'], ['moderation_requests.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_worker_sanctions_worker_revoked', 'worker_sanctions', ['worker_id', 'revoked_at'])


def downgrade():
    op.drop_index('ix_worker_sanctions_worker_revoked', table_name='worker_sanctions')
    op.drop_table('worker_sanctions')
    op.drop_index('ix_moderation_requests_status_requested', table_name='moderation_requests')
    op.drop_table('moderation_requests')

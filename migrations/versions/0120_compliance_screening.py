"""campaign screening: versioned screening rule sets and screening runs

Revision ID: 0120
Revises: 0006
Create Date: 2026-12-06 23:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0120'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'screening_rule_sets',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('published_by', sa.Integer(), nullable=True),
        sa.Column('published_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['created_by'], ['staff_users.id']),
        sa.ForeignKeyConstraint(['published_by'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('version'),
    )
    op.create_table(
        'campaign_screenings',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.String(length=64), nullable=False),
        sa.Column('rule_set_version', sa.Integer(), nullable=False),
        sa.Column('trigger', sa.String(length=16), nullable=False),
        sa.Column('brief', sa.Text(), nullable=True),
        sa.Column('findings', sa.JSON(), nullable=False),
        sa.Column('worst_severity', sa.String(length=8), nullable=True),
        sa.Column('status', sa.String(length=24), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id']),
        sa.ForeignKeyConstraint(['decided_by'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_campaign_screenings_campaign_id_id', 'campaign_screenings', ['campaign_id', 'id'])
    op.create_index('ix_campaign_screenings_status', 'campaign_screenings', ['status'])


def downgrade():
    op.drop_index('ix_campaign_screenings_status', table_name='campaign_screenings')
    op.drop_index('ix_campaign_screenings_campaign_id_id', table_name='campaign_screenings')
    op.drop_table('campaign_screenings')
    op.drop_table('screening_rule_sets')

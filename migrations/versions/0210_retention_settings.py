"""Retention: settings an admin edits, the runs of the retention job, and purged proofs.

Revision ID: 0210
Revises: 0160
"""
import sqlalchemy as sa
from alembic import op

revision = '0210'
down_revision = '0201'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'settings',
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by'], ['staff_users.id'], name='fk_settings_updated_by_staff_users'),
        sa.PrimaryKeyConstraint('name', name='pk_settings'),
    )
    op.create_table(
        'retention_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('trigger', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('retention_days', sa.Integer(), nullable=False),
        sa.Column('cutoff', sa.DateTime(), nullable=False),
        sa.Column('proofs_purged', sa.Integer(), nullable=False),
        sa.Column('batches', sa.Integer(), nullable=False),
        sa.Column('last_proof_id', sa.String(length=64), nullable=True),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('requested_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['requested_by'], ['staff_users.id'],
                                name='fk_retention_runs_requested_by_staff_users'),
        sa.PrimaryKeyConstraint('id', name='pk_retention_runs'),
    )
    with op.batch_alter_table('proofs') as batch:
        batch.add_column(sa.Column('pii_purged_at', sa.DateTime(), nullable=True))
        batch.alter_column('ip_enc', existing_type=sa.Text(), nullable=True)
    op.create_index('ix_proofs_unpurged_submitted', 'proofs', ['submitted_at'],
                    postgresql_where=sa.text('pii_purged_at IS NULL'), sqlite_where=sa.text('pii_purged_at IS NULL'))


def downgrade():
    op.drop_index('ix_proofs_unpurged_submitted', table_name='proofs')
    with op.batch_alter_table('proofs') as batch:
        batch.alter_column('ip_enc', existing_type=sa.Text(), nullable=False)
        batch.drop_column('pii_purged_at')
    op.drop_table('retention_runs')
    op.drop_table('settings')

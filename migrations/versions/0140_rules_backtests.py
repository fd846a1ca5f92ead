"""operators' backtests of rule-set versions

Revision ID: 0140
Revises: 0006
Create Date: 2026-12-06 23:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0140'
down_revision = '0131'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'backtests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ruleset_version', sa.Integer(), nullable=False),
        sa.Column('baseline_version', sa.Integer(), nullable=True),
        sa.Column('since', sa.DateTime(), nullable=False),
        sa.Column('until', sa.DateTime(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('results', sa.JSON(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_backtests_task_id_tasks')),
        sa.ForeignKeyConstraint(['created_by'], ['staff_users.id'], name=op.f('fk_backtests_created_by_staff_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_backtests')),
    )
    with op.batch_alter_table('backtests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_backtests_ruleset_version'), ['ruleset_version'], unique=False)


def downgrade():
    with op.batch_alter_table('backtests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_backtests_ruleset_version'))
    op.drop_table('backtests')

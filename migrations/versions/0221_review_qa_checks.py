"""QA re-checks of sampled decisions (policy approvals and moderators' decisions), agreed or not

Revision ID: 0221
Revises: 0210
"""
import sqlalchemy as sa
from alembic import op

revision = '0221'
down_revision = '0220'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'qa_checks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proof_id', sa.String(length=64), nullable=False),
        sa.Column('decision_id', sa.Integer(), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('checked_by', sa.Integer(), nullable=False),
        sa.Column('agreed', sa.Boolean(), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('checked_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['proof_id'], ['proofs.id']),
        sa.ForeignKeyConstraint(['decision_id'], ['review_decisions.id']),
        sa.ForeignKeyConstraint(['decided_by'], ['staff_users.id']),
        sa.ForeignKeyConstraint(['checked_by'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('proof_id'),
    )
    op.create_index('ix_qa_checks_decided_by_checked_at', 'qa_checks', ['decided_by', 'checked_at'])
    # Moderators' decisions are drawn for QA when they are made; none before this revision is drawn.
    with op.batch_alter_table('review_items') as batch:
        batch.add_column(sa.Column('qa_due', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index('ix_review_items_qa_due', 'review_items', ['qa_due', 'id'])


def downgrade():
    op.drop_index('ix_review_items_qa_due', table_name='review_items')
    with op.batch_alter_table('review_items') as batch:
        batch.drop_column('qa_due')
    op.drop_table('qa_checks')

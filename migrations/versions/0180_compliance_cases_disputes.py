"""compliance cases, brand disputes, brand-linked API tokens, disputes on the scorecard

Revision ID: 0180
Revises: 0160
"""
import sqlalchemy as sa
from alembic import op

revision = '0180'
down_revision = '0170'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'compliance_cases',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('subject_type', sa.String(length=16), nullable=False),
        sa.Column('subject_id', sa.String(length=64), nullable=False),
        sa.Column('brand_id', sa.String(length=64), nullable=True),
        sa.Column('title', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('priority', sa.SmallInteger(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('due_on', sa.Date(), nullable=True),
        sa.Column('findings_seen', sa.JSON(), nullable=False),
        sa.Column('opened_by', sa.String(length=120), nullable=False),
        sa.Column('opened_at', sa.DateTime(), nullable=False),
        sa.Column('closed_by', sa.String(length=120), nullable=True),
        sa.Column('closed_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['brand_id'], ['brands.id']),
        sa.ForeignKeyConstraint(['owner_id'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_compliance_cases_subject', 'compliance_cases', ['subject_type', 'subject_id', 'status'])
    op.create_index('ix_compliance_cases_brand_status', 'compliance_cases', ['brand_id', 'status'])
    op.create_index('ix_compliance_cases_status_priority', 'compliance_cases', ['status', 'priority', 'id'])
    op.create_table(
        'case_items',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('ref', sa.String(length=64), nullable=True),
        sa.Column('body', sa.Text(), nullable=True),
        sa.Column('filename', sa.String(length=200), nullable=True),
        sa.Column('stored_name', sa.String(length=80), nullable=True),
        sa.Column('size_bytes', sa.Integer(), nullable=True),
        sa.Column('sha256', sa.String(length=64), nullable=True),
        sa.Column('added_by', sa.String(length=120), nullable=False),
        sa.Column('added_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['compliance_cases.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_case_items_kind_ref', 'case_items', ['kind', 'ref'])
    op.create_index('ix_case_items_case', 'case_items', ['case_id', 'id'])
    op.create_table(
        'case_outcomes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('decided_by', sa.String(length=120), nullable=False),
        sa.Column('decided_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['compliance_cases.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_case_outcomes_case_id', 'case_outcomes', ['case_id'])
    op.create_table(
        'disputes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('brand_id', sa.String(length=64), nullable=False),
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('filed_by', sa.String(length=120), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('decided_by', sa.String(length=120), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['brand_id'], ['brands.id']),
        sa.ForeignKeyConstraint(['case_id'], ['compliance_cases.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_disputes_brand_status', 'disputes', ['brand_id', 'status'])
    op.create_index('ix_disputes_case_id', 'disputes', ['case_id'])
    op.create_table(
        'dispute_proofs',
        sa.Column('dispute_id', sa.Integer(), nullable=False),
        sa.Column('proof_id', sa.String(length=64), nullable=False),
        sa.Column('action', sa.String(length=16), nullable=False),
        sa.Column('state_then', sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(['dispute_id'], ['disputes.id']),
        sa.ForeignKeyConstraint(['proof_id'], ['proofs.id']),
        sa.PrimaryKeyConstraint('dispute_id', 'proof_id'),
    )
    op.create_index('ix_dispute_proofs_proof_id', 'dispute_proofs', ['proof_id'])
    with op.batch_alter_table('api_clients') as batch:
        batch.add_column(sa.Column('brand_id', sa.String(length=64), nullable=True))
        batch.create_foreign_key('fk_api_clients_brand_id', 'brands', ['brand_id'], ['id'])
    with op.batch_alter_table('brand_scorecards') as batch:
        batch.add_column(sa.Column('disputes', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('disputed_proofs', sa.Integer(), nullable=False, server_default='0'))
        batch.add_column(sa.Column('upheld_proofs', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('brand_scorecards') as batch:
        batch.drop_column('upheld_proofs')
        batch.drop_column('disputed_proofs')
        batch.drop_column('disputes')
    with op.batch_alter_table('api_clients') as batch:
        batch.drop_constraint('fk_api_clients_brand_id', type_='foreignkey')
        batch.drop_column('brand_id')
    op.drop_table('dispute_proofs')
    op.drop_table('disputes')
    op.drop_table('case_outcomes')
    op.drop_table('case_items')
    op.drop_table('compliance_cases')

"""shadow scores of a rule-set version run beside the active one

Revision ID: 0141
Revises: 0140
Create Date: 2026-12-06 23:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0141'
down_revision = '0140'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'shadow_scores',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ruleset_version', sa.Integer(), nullable=False),
        sa.Column('proof_id', sa.String(length=64), nullable=False),
        sa.Column('risk_score', sa.Float(), nullable=False),
        sa.Column('route', sa.String(length=16), nullable=False),
        sa.Column('reasons', sa.Text(), nullable=False),
        sa.Column('active_version', sa.Integer(), nullable=True),
        sa.Column('active_risk', sa.Float(), nullable=True),
        sa.Column('active_route', sa.String(length=16), nullable=True),
        sa.Column('active_reasons', sa.Text(), nullable=True),
        sa.Column('scored_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['proof_id'], ['proofs.id'], name=op.f('fk_shadow_scores_proof_id_proofs')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_shadow_scores')),
        sa.UniqueConstraint('ruleset_version', 'proof_id', name=op.f('uq_shadow_scores_ruleset_version')),
    )
    with op.batch_alter_table('shadow_scores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shadow_scores_proof_id'), ['proof_id'], unique=False)


def downgrade():
    with op.batch_alter_table('shadow_scores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shadow_scores_proof_id'))
    op.drop_table('shadow_scores')

"""ledger: accounts, entries, postings, payouts, fraud flags

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade():
    op.create_table('ledger_accounts',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('code', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('brand_id', sa.String(length=64), nullable=True),
    sa.Column('campaign_id', sa.String(length=64), nullable=True),
    sa.Column('worker_id', sa.String(length=64), nullable=True),
    sa.Column('balance', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_accounts')),
    sa.UniqueConstraint('code', name=op.f('uq_ledger_accounts_code'))
    )
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_accounts_brand_id'), ['brand_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_accounts_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index('ix_ledger_accounts_kind_worker', ['kind', 'worker_id'], unique=False)

    op.create_table('ledger_entries',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('proof_id', sa.String(length=64), nullable=True),
    sa.Column('campaign_id', sa.String(length=64), nullable=True),
    sa.Column('brand_id', sa.String(length=64), nullable=True),
    sa.Column('worker_id', sa.String(length=64), nullable=True),
    sa.Column('payout_id', sa.BigInteger(), nullable=True),
    sa.Column('memo', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ledger_entries')),
    sa.UniqueConstraint('key', name=op.f('uq_ledger_entries_key'))
    )
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ledger_entries_campaign_id'), ['campaign_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ledger_entries_proof_id'), ['proof_id'], unique=False)

    op.create_table('ledger_postings',
    sa.Column('entry_id', sa.BigInteger(), nullable=False),
    sa.Column('account_id', sa.BigInteger(), nullable=False),
    sa.Column('amount', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['ledger_accounts.id'], name=op.f('fk_ledger_postings_account_id_ledger_accounts')),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_ledger_postings_entry_id_ledger_entries')),
    sa.PrimaryKeyConstraint('entry_id', 'account_id', name=op.f('pk_ledger_postings'))
    )
    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.create_index('ix_ledger_postings_account_amount', ['account_id', 'amount'], unique=False)

    op.create_table('payout_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('payout_count', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_batches'))
    )

    op.create_table('payouts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.String(length=64), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('failure_reason', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['payout_batches.id'], name=op.f('fk_payouts_batch_id_payout_batches')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_payouts_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts')),
    sa.UniqueConstraint('batch_id', 'worker_id', name=op.f('uq_payouts_batch_id'))
    )
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.create_index('ix_payouts_state_id', ['state', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payouts_worker_id'), ['worker_id'], unique=False)

    op.create_table('fraud_flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('worker_id', sa.String(length=64), nullable=False),
    sa.Column('proof_id', sa.String(length=64), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opened_by', sa.String(length=120), nullable=False),
    sa.Column('opened_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_by', sa.String(length=120), nullable=True),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['proof_id'], ['proofs.id'], name=op.f('fk_fraud_flags_proof_id_proofs')),
    sa.ForeignKeyConstraint(['worker_id'], ['workers.id'], name=op.f('fk_fraud_flags_worker_id_workers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fraud_flags'))
    )
    with op.batch_alter_table('fraud_flags', schema=None) as batch_op:
        batch_op.create_index('ix_fraud_flags_proof_status', ['proof_id', 'status'], unique=False)
        batch_op.create_index('ix_fraud_flags_worker_status', ['worker_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('fraud_flags', schema=None) as batch_op:
        batch_op.drop_index('ix_fraud_flags_worker_status')
        batch_op.drop_index('ix_fraud_flags_proof_status')
    op.drop_table('fraud_flags')
    with op.batch_alter_table('payouts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payouts_worker_id'))
        batch_op.drop_index('ix_payouts_state_id')
    op.drop_table('payouts')
    op.drop_table('payout_batches')
    with op.batch_alter_table('ledger_postings', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_postings_account_amount')
    op.drop_table('ledger_postings')
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ledger_entries_proof_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_entries_campaign_id'))
    op.drop_table('ledger_entries')
    with op.batch_alter_table('ledger_accounts', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_accounts_kind_worker')
        batch_op.drop_index(batch_op.f('ix_ledger_accounts_campaign_id'))
        batch_op.drop_index(batch_op.f('ix_ledger_accounts_brand_id'))
    op.drop_table('ledger_accounts')

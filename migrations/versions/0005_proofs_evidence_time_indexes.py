"""index proofs' evidence keys with the submission time: windowed lookups read only rows in the window

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 22:40:00

"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

KEYS = ('ip_hash', 'ip_prefix_hash', 'device_fp_hash', 'screenshot_sha256')


def upgrade():
    with op.batch_alter_table('proofs', schema=None) as batch_op:
        for key in KEYS:
            batch_op.create_index(f'ix_proofs_{key}_submitted', [key, 'submitted_at'], unique=False)
            batch_op.drop_index(f'ix_proofs_{key}')


def downgrade():
    with op.batch_alter_table('proofs', schema=None) as batch_op:
        for key in KEYS:
            batch_op.create_index(f'ix_proofs_{key}', [key], unique=False)
            batch_op.drop_index(f'ix_proofs_{key}_submitted')

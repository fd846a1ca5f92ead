"""API tokens: scopes, expiry and last use.

Revision ID: 0160
Revises: 0151
"""
import sqlalchemy as sa
from alembic import op

revision = '0160'
down_revision = '0151'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_clients') as batch:
        batch.add_column(sa.Column('scopes', sa.String(length=64), nullable=False, server_default='ingest read'))
        batch.add_column(sa.Column('expires_at', sa.DateTime(), nullable=True))
        batch.add_column(sa.Column('last_used_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('api_clients') as batch:
        batch.drop_column('last_used_at')
        batch.drop_column('expires_at')
        batch.drop_column('scopes')

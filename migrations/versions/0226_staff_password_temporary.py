"""staff_users.password_temporary: a password an admin handed over (an invitation or a reset) is
changed by its owner before anything else opens, so the admin, or whoever saw the screen, no longer
holds a working one (app/auth/services/accounts.py, app/platform/access.py).

Revision ID: 0226
Revises: 0225
"""
import sqlalchemy as sa
from alembic import op

revision = '0226'
down_revision = '0225'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("password_temporary", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("password_temporary")

"""staff_users.session_epoch: part of every session's key, raised when a person signs out, is
disabled or enabled, or changes role, so a copied cookie stops signing anyone in at once
(models/staff.py StaffUser.session_key).

Revision ID: 0225
Revises: 0224
"""
import sqlalchemy as sa
from alembic import op

revision = '0225'
down_revision = '0224'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("session_epoch")

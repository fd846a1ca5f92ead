"""audit_events.actor_label and object_id take 256 characters: an API client's label ("api:" and a
name of up to 120) and a staff email (up to 254) fit; longer text from outside is cut when recorded
(app/platform/audit.py). SQLite does not enforce a VARCHAR's length, so only PostgreSQL changes.

Revision ID: 0224
Revises: 0223
"""
import sqlalchemy as sa
from alembic import op

revision = '0224'
down_revision = '0223'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":  # a longer VARCHAR: no rewrite of the table or its indexes
        op.alter_column("audit_events", "actor_label", type_=sa.String(256), existing_type=sa.String(120))
        op.alter_column("audit_events", "object_id", type_=sa.String(256), existing_type=sa.String(128))


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("audit_events", "object_id", type_=sa.String(128), existing_type=sa.String(256))
        op.alter_column("audit_events", "actor_label", type_=sa.String(120), existing_type=sa.String(256))

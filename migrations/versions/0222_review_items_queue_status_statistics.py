"""Extended statistics on review_items (queue, status), PostgreSQL only (models/review.py says why)

Revision ID: 0222
Revises: 0221
"""
from alembic import op

revision = '0222'
down_revision = '0221'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE STATISTICS IF NOT EXISTS st_review_items_queue_status (dependencies, mcv)"
                   " ON queue, status FROM review_items")
        op.execute("ANALYZE review_items")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS st_review_items_queue_status")

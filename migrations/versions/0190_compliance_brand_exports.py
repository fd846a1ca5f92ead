"""compliance: regulator exports of a brand's file (kept on disk, listed here)

Revision ID: 0190
Revises: 0160
Create Date: 2026-12-07 02:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = '0190'
down_revision = '0180'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('brand_exports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('brand_id', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('locale', sa.String(length=16), nullable=False),
    sa.Column('task_id', sa.Integer(), nullable=True),
    sa.Column('files', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['brand_id'], ['brands.id'], name=op.f('fk_brand_exports_brand_id_brands')),
    sa.ForeignKeyConstraint(['task_id'], ['tasks.id'], name=op.f('fk_brand_exports_task_id_tasks')),
    sa.ForeignKeyConstraint(['created_by'], ['staff_users.id'], name=op.f('fk_brand_exports_created_by_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_brand_exports'))
    )
    with op.batch_alter_table('brand_exports', schema=None) as batch_op:
        batch_op.create_index('ix_brand_exports_brand_id_id', ['brand_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('brand_exports', schema=None) as batch_op:
        batch_op.drop_index('ix_brand_exports_brand_id_id')
    op.drop_table('brand_exports')

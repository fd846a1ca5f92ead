"""reject reasons as a managed list, with the message the worker reads

Revision ID: 0200
Revises: 0160
"""
import sqlalchemy as sa
from alembic import op

revision = '0200'
down_revision = '0191'
branch_labels = None
depends_on = None

# The built-in codes (app/review/services/reasons.py BUILT_IN), copied: a migration never imports the app.
SEED = [
    ('fraud_device_farm', 'Device farm / shared hardware', 'This task was done from a device shared with other accounts.', '此任务是在与其他账号共用的设备上完成的。', 1),
    ('fraud_bot', 'Scripted or automated', 'This task looks like it was done by a script, not by you.', '此任务看起来是由脚本自动完成的，而不是本人完成。', 2),
    ('fraud_proxy', 'Proxy or datacenter network', 'This task was done through a proxy or data-centre network.', '此任务是通过代理或机房网络完成的。', 3),
    ('fraud_ring', 'Coordinated ring', 'This task is part of coordinated activity across several accounts.', '此任务属于多个账号之间的协同作弊行为。', 4),
    ('duplicate_screenshot', 'Reused screenshot', 'The screenshot was already used for another task.', '该截图已被用于其他任务。', 5),
    ('duplicate_comment', 'Copy-paste comment', 'The comment was copied from other submissions.', '该评论是从其他提交中复制的。', 6),
    ('incomplete_task', 'Task not done as required', 'The task was not completed as the brief requires.', '任务未按要求完成。', 7),
    ('policy_violation', 'Breaks platform policy', "This submission breaks the platform's rules.", '此提交违反了平台规则。', 8),
    ('other', 'Other (explain in the note)', 'Your submission was rejected after review.', '您的提交经审核未通过。', 9),
]


def upgrade():
    table = op.create_table(
        'reject_reasons',
        sa.Column('code', sa.String(length=64), nullable=False),
        sa.Column('label', sa.String(length=200), nullable=False),
        sa.Column('message_en', sa.Text(), nullable=False),
        sa.Column('message_zh', sa.Text(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False, server_default=sa.func.now()),
        sa.Column('updated_at', sa.DateTime(), nullable=False, server_default=sa.func.now()),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by'], ['staff_users.id']),
        sa.PrimaryKeyConstraint('code'),
    )
    op.bulk_insert(table, [{"code": code, "label": label, "message_en": en, "message_zh": zh, "position": position}
                           for code, label, en, zh, position in SEED])


def downgrade():
    op.drop_table('reject_reasons')

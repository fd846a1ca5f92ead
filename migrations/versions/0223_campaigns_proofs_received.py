"""campaigns.proofs_received, kept by a trigger on proofs: intake no longer counts a campaign's proofs
at every request while it is far below its cap (models/proof.py says how the count is kept; the DDL
is repeated here so this revision stays what it was when the model changes)

Revision ID: 0223
Revises: 0222
"""
import sqlalchemy as sa
from alembic import op

revision = '0223'
down_revision = '0222'
branch_labels = None
depends_on = None

COUNTER = {
    "postgresql": (
        "CREATE OR REPLACE FUNCTION count_received_proofs() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF current_setting('workbench.defer_received_count', true) = 'on' THEN RETURN NULL; END IF; "
        "PERFORM 1 FROM campaigns WHERE id IN (SELECT campaign_id FROM inserted_proofs) ORDER BY id FOR UPDATE; "
        "UPDATE campaigns SET proofs_received = campaigns.proofs_received + added.n FROM "
        "(SELECT campaign_id, count(*) AS n FROM inserted_proofs GROUP BY campaign_id) AS added "
        "WHERE campaigns.id = added.campaign_id; RETURN NULL; END $$",
        "CREATE TRIGGER proofs_count_received AFTER INSERT ON proofs REFERENCING NEW TABLE AS inserted_proofs "
        "FOR EACH STATEMENT EXECUTE FUNCTION count_received_proofs()",
    ),
    "sqlite": (
        "CREATE TRIGGER proofs_count_received AFTER INSERT ON proofs FOR EACH ROW BEGIN "
        "UPDATE campaigns SET proofs_received = proofs_received + 1 WHERE id = NEW.campaign_id; END",
    ),
}


def upgrade():
    with op.batch_alter_table('campaigns') as batch_op:
        batch_op.add_column(sa.Column('proofs_received', sa.BigInteger(), server_default='0', nullable=False))
    op.execute("UPDATE campaigns SET proofs_received ="
               " (SELECT count(*) FROM proofs WHERE proofs.campaign_id = campaigns.id)")
    for statement in COUNTER[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS proofs_count_received ON proofs")
        op.execute("DROP FUNCTION IF EXISTS count_received_proofs()")
    else:
        op.execute("DROP TRIGGER IF EXISTS proofs_count_received")
    with op.batch_alter_table('campaigns') as batch_op:
        batch_op.drop_column('proofs_received')

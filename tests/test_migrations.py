"""The Alembic migrations build exactly the schema the models declare."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app import create_app
from config import TestingConfig
from models import db


def _app_on_file(tmp_path):  # noqa: ANN001, ANN202
    """An app over an empty SQLite file, for migrations to build (create_all is never called)."""

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'migrated.db'}"
        INSTANCE_DIR = tmp_path

    return create_app(Config)


def test_migrations_match_models(tmp_path):
    app = _app_on_file(tmp_path)
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), db.metadata)
    assert diff == []


def test_upgrade_copies_each_review_items_campaign_from_its_proof(tmp_path):
    import sqlalchemy as sa

    app = _app_on_file(tmp_path)
    with app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO proofs (id, campaign_id, worker_id, accepted_at, submitted_at, ip_enc, ip_hash,"
                " ip_prefix_hash, ip_version, device_present, state, source, ingested_at, state_changed_at)"
                " VALUES (:id, :campaign, 'w1', :t, :t, 'x', 'h', 'p', 4, 0, 'in_review', 'import', :t, :t)"),
                [{"id": "p1", "campaign": "c1", "t": "2026-10-01 12:00:00"},
                 {"id": "p2", "campaign": "c2", "t": "2026-10-01 12:00:00"}])
            conn.execute(sa.text(
                "INSERT INTO review_items (proof_id, queue, status, priority, created_at, updated_at)"
                " VALUES (:id, 'review', 'open', 0.5, '2026-10-01 12:00:00', '2026-10-01 12:00:00')"),
                [{"id": "p1"}, {"id": "p2"}])
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT proof_id, campaign_id FROM review_items ORDER BY proof_id")).all()
    assert [tuple(r) for r in rows] == [("p1", "c1"), ("p2", "c2")]

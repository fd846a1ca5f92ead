"""Migration 0130 chains the audit events a database already holds."""
from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import upgrade

from app import create_app
from app.platform.audit import record, verify_chain
from config import TestingConfig
from models import db


def test_upgrade_chains_existing_events_so_they_verify_and_new_ones_extend_the_chain(tmp_path):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'migrated.db'}"
        INSTANCE_DIR = tmp_path

    app = create_app(Config)
    with app.app_context():
        upgrade(revision="0006")
        with db.engine.begin() as conn:
            conn.execute(sa.text(
                "INSERT INTO audit_events (at, actor_label, action, object_type, object_id, data)"
                " VALUES (:at, 'import', :action, 'world', 'w', :data)"),
                [{"at": f"2026-10-0{i} 12:00:00.12345{i}", "action": f"world.import{i}",
                  "data": f'{{"files": {i}, "名": "品牌"}}'} for i in range(1, 5)])
        upgrade()
        report = verify_chain()
        assert report.ok, report.problem
        assert report.checked == 4
        record("brand.kyc_changed", "brand", "b1", actor_label="system", reason="licence checked")
        db.session.commit()
        assert verify_chain().checked == 5
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE audit_events SET object_id = 'w2' WHERE id = 2"))
        assert verify_chain().broken_id == 2

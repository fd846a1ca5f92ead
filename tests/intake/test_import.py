"""World import: contract behaviour (idempotence, bad lines named, nothing lost, PII protected)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import Brand, Proof, ReviewDecision, Worker, db
from tests import factories as f


def test_import_stores_every_file_and_scores(runner, world):
    path = world.basic(proofs=3).add("decisions", f.decision(proof_id="p1")).write()
    result = runner.invoke(args=["import", str(path)])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proof)) == 3
    assert "proofs: 3 lines, 3 new" in result.output
    assert db.session.get(Proof, "p1").state == "approved"
    assert {p.state for p in db.session.scalars(sa.select(Proof).where(Proof.id != "p1"))} <= {"in_review", "approved"}


def test_second_import_changes_nothing(runner, world):
    path = world.basic(proofs=2).add("decisions", f.decision(proof_id="p2", decision="rejected")).write()
    runner.invoke(args=["import", str(path)])
    before = db.session.scalar(sa.select(sa.func.count()).select_from(ReviewDecision))
    again = runner.invoke(args=["import", str(path)])
    assert again.exit_code == 0, again.output
    assert "nothing new" in again.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewDecision)) == before


def test_bad_lines_are_named_and_good_lines_kept(runner, world):
    world.basic(proofs=0).add("workers", f.worker(id="w1"))
    world.add("proofs", f.proof(id="ok1"), f.proof(id="bad-time", submitted_at="not a time"),
              {k: v for k, v in f.proof(id="no-worker").items() if k != "worker_id"},
              f.proof(id="bad-ip", ip="999.1.1.1"), '{"id": "trunc", "campaign', f.proof(id="ok2"),
              f.proof(id="ghost", worker_id="w404"), f.proof(id="bad-dev", device=f.device(screen="big")))
    result = runner.invoke(args=["import", str(world.write())])
    assert result.exit_code != 0
    out = result.output
    assert "proofs.jsonl:2: submitted_at: 'not a time' is not an ISO 8601 time" in out
    assert "proofs.jsonl:3: worker_id: is required" in out
    assert "proofs.jsonl:4: ip: '999.1.1.1' is not an IPv4 or IPv6 address" in out
    assert "proofs.jsonl:5: line: not valid JSON" in out
    assert "proofs.jsonl:7: worker_id: 'w404' is not a known worker" in out
    assert "proofs.jsonl:8: device.screen" in out
    assert set(db.session.scalars(sa.select(Proof.id))) == {"ok1", "ok2"}


def test_personal_data_is_encrypted_and_matchable(app, runner, world):
    path = world.basic(proofs=2).write()
    runner.invoke(args=["import", str(path)])
    vault = app.extensions["pii"]
    w1 = db.session.get(Worker, "w1")
    assert "13800138001" not in (w1.phone_enc or "")
    assert vault.decrypt(w1.phone_enc) == "+8613800138001"
    p1 = db.session.get(Proof, "p1")
    assert "223.104.3.1" not in p1.ip_enc and vault.decrypt(p1.ip_enc) == "223.104.3.1"
    p2 = db.session.get(Proof, "p2")
    assert p1.ip_hash != p2.ip_hash and p1.ip_prefix_hash == p2.ip_prefix_hash
    assert p1.ip_country == "CN" and "China Mobile" in p1.ip_asn_name
    assert vault.decrypt(db.session.get(Brand, "b1").contact_email_enc) == "ops@glow.example"


def test_unknown_keys_are_ignored_and_missing_device_is_stored(runner, world):
    bare = {k: v for k, v in f.proof().items() if k != "device"}
    world.basic(proofs=0).add("workers", f.worker()).add("proofs", {**bare, "extra_key": {"x": 1}})
    result = runner.invoke(args=["import", str(world.write())])
    assert result.exit_code == 0, result.output
    assert db.session.get(Proof, "p1").device_present is False


def test_import_of_missing_directory_fails_clearly(runner, tmp_path):
    result = runner.invoke(args=["import", str(tmp_path / "nope")])
    assert result.exit_code != 0 and "not a directory" in result.output


def test_phone_spellings_hash_alike(app, runner, world):
    world.basic(proofs=0).add("workers", f.worker(id="w1", phone="+86 138 0013 8000"),
                              f.worker(id="w2", phone="+86-13800138000"))
    runner.invoke(args=["import", str(world.write())])
    w1, w2 = db.session.get(Worker, "w1"), db.session.get(Worker, "w2")
    assert w1.phone_hash == w2.phone_hash
    assert app.extensions["pii"].decrypt(w1.phone_enc) == "+8613800138000"


def test_large_files_refresh_the_planner_statistics_of_what_they_wrote(runner, world, monkeypatch):
    from app.intake.services import ingest

    analysed: list[str] = []
    monkeypatch.setattr(ingest, "ANALYZE_FROM", 2)
    monkeypatch.setattr(ingest, "refresh_statistics", lambda *tables: analysed.extend(t.name for t in tables))
    path = world.basic(proofs=3).add("decisions", f.decision(proof_id="p1"), f.decision(proof_id="p2")).write()
    result = runner.invoke(args=["import", str(path), "--no-score"])
    assert result.exit_code == 0, result.output
    # basic() writes one brand, room, session and campaign, and three workers and proofs
    assert analysed == ["workers", "proofs", "review_decisions", "review_items", "proofs"]


def test_statistics_count_the_loading_transactions_own_rows(app):
    from app.platform.bulk import refresh_statistics

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no planner statistics to refresh")
    db.session.add_all([Brand(id=f"b{i}", name=f"Brand {i}") for i in range(300)])
    db.session.flush()
    refresh_statistics(Brand.__table__)
    assert db.session.scalar(sa.text("SELECT reltuples FROM pg_class WHERE relname = 'brands'")) == 300


def test_the_import_command_vacuums_the_tables_of_large_files_after_committing(runner, world, monkeypatch):
    from app.intake import cli as world_cli
    from app.intake.services import ingest

    vacuumed: list[str] = []
    monkeypatch.setattr(ingest, "ANALYZE_FROM", 2)
    monkeypatch.setattr(world_cli, "ANALYZE_FROM", 2)
    monkeypatch.setattr(world_cli, "vacuum_after_bulk_load", lambda *tables: vacuumed.extend(t.name for t in tables))
    path = world.basic(proofs=3).add("decisions", f.decision(proof_id="p1"), f.decision(proof_id="p2")).write()
    result = runner.invoke(args=["import", str(path), "--no-score"])
    assert result.exit_code == 0, result.output
    assert vacuumed == ["workers", "proofs", "review_decisions", "review_items"]


def test_vacuum_after_a_bulk_load_marks_the_committed_pages_all_visible(app):
    from app.platform.bulk import vacuum_after_bulk_load

    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no visibility map")
    db.session.add_all([Brand(id=f"b{i}", name=f"Brand {i}") for i in range(300)])
    db.session.commit()
    visible = "SELECT relallvisible FROM pg_class WHERE relname = 'brands'"
    assert db.session.scalar(sa.text(visible)) == 0
    db.session.commit()
    vacuum_after_bulk_load(Brand.__table__)
    assert db.session.scalar(sa.text(visible)) > 0


def test_a_byte_order_mark_and_windows_line_ends_are_read(runner, world):
    path = world.basic(proofs=2).write()
    brands = path / "brands.jsonl"
    brands.write_bytes(b"\xef\xbb\xbf" + brands.read_bytes().replace(b"\n", b"\r\n"))
    result = runner.invoke(args=["import", str(path), "--no-score"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proof)) == 2


def test_a_decision_without_a_time_is_dated_when_imported(runner, world):
    from models import utcnow

    undated = f.decision(proof_id="p1")
    undated.pop("decided_at")
    before = utcnow()
    result = runner.invoke(args=["import", str(world.basic(proofs=2).add("decisions", undated).write()), "--no-score"])
    assert result.exit_code == 0, result.output
    decision = db.session.scalar(sa.select(ReviewDecision).where(ReviewDecision.proof_id == "p1"))
    assert decision.decision == "approved" and decision.decided_at >= before
    assert db.session.get(Proof, "p1").state == "approved"


def test_a_history_decision_never_replaces_one_made_here(app, runner, world, staff):
    """p1 approved by a moderator here; a later import says rejected: the line is refused by name,
    p1 keeps its decision in force (it would otherwise stay approved and never settle)."""
    from app.review.services.decisions import current_decision, decide

    assert runner.invoke(args=["import", str(world.basic(proofs=2).write()), "--no-score"]).exit_code == 0
    decide(db.session.get(Proof, "p1"), "approved", actor=staff("moderator"))
    db.session.commit()
    later = world.__class__(world.directory.parent / "later")
    later.add("decisions", f.decision(proof_id="p1", decision="rejected", reason="fraud_bot"),
              f.decision(proof_id="p2", decision="rejected", reason="fraud_bot"))
    result = runner.invoke(args=["import", str(later.write()), "--no-score"])
    assert result.exit_code != 0
    assert "decisions.jsonl:1: proof_id: 'p1' is already approved here; a history decision does not replace it" \
        in result.output
    assert (current_decision("p1").actor_kind, db.session.get(Proof, "p1").state) == ("human", "approved")
    assert db.session.get(Proof, "p2").state == "rejected"  # the good line is stored

"""The audit trail is a hash chain: any row altered, inserted or deleted behind record()'s back is named."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from app.platform.audit import GENESIS, event_hash, record, verify_chain
from models import AuditEvent, db


def _events(staff, n: int = 5) -> list[int]:
    user = staff("compliance")
    ids = []
    for i in range(n):
        event = record("brand.kyc_changed", "brand", f"b{i}", actor=user if i % 2 else None,
                       actor_label=None if i % 2 else "system", data={"n": i, "名": "品牌", "ratio": 0.1 * i},
                       before={"kyc_status": "pending"}, after={"kyc_status": "verified"}, reason=f"checked {i}")
        ids.append(event.id)
    db.session.commit()
    return ids


def _sql(statement: str, **params) -> None:  # noqa: ANN003
    with db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)
    db.session.expire_all()


def test_untouched_chain_verifies_and_links_each_event_to_the_one_before(staff):
    ids = _events(staff)
    report = verify_chain()
    assert report.ok, report.problem
    assert report.checked == 5
    rows = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
    assert rows[0].prev_hash == GENESIS
    assert [r.prev_hash for r in rows[1:]] == [r.hash for r in rows[:-1]]
    assert report.last_hash == rows[-1].hash and [r.id for r in rows] == ids


def test_the_hash_covers_before_after_and_reason(staff):
    ids = _events(staff, 3)
    _sql("UPDATE audit_events SET after = :after WHERE id = :id", after='{"kyc_status": "rejected"}', id=ids[1])
    assert verify_chain().broken_id == ids[1]


@pytest.mark.parametrize("column,value", [("reason", "nothing to see"), ("actor_label", "someone@else"),
                                          ("object_id", "b99"), ("at", "2020-01-01 00:00:00")])
def test_an_altered_row_is_named(staff, column, value):
    ids = _events(staff)
    _sql(f"UPDATE audit_events SET {column} = :v WHERE id = :id", v=value, id=ids[2])
    report = verify_chain()
    assert not report.ok
    assert report.broken_id == ids[2]
    assert "altered" in report.problem
    assert report.checked == 2


def test_a_deleted_row_breaks_the_link_of_the_next_one(staff):
    ids = _events(staff)
    _sql("DELETE FROM audit_events WHERE id = :id", id=ids[1])
    report = verify_chain()
    assert report.broken_id == ids[2]
    assert "deleted" in report.problem


def test_deleting_the_newest_rows_is_caught_by_the_chain_head(staff):
    ids = _events(staff)
    _sql("DELETE FROM audit_events WHERE id >= :id", id=ids[3])
    report = verify_chain()
    assert report.broken_id == ids[4]
    assert "deleted" in report.problem


def test_a_row_inserted_with_a_forged_hash_is_named(staff):
    ids = _events(staff, 3)
    last = db.session.get(AuditEvent, ids[-1])
    at = datetime(2026, 12, 1, 12, tzinfo=UTC)
    forged = event_hash(at, None, "system", "brand.kyc_changed", "brand", "b1", None, None, None, None, last.hash)
    _sql("INSERT INTO audit_events (id, at, actor_label, action, object_type, object_id, prev_hash, hash) "
         "VALUES (:id, :at, 'system', 'brand.kyc_changed', 'brand', 'b1', :prev, :hash)",
         id=ids[-1] + 1, at=at.replace(tzinfo=None), prev=last.hash, hash=forged)
    report = verify_chain()
    assert report.broken_id == ids[-1] + 1
    assert "without record()" in report.problem


def test_a_row_inserted_between_two_events_is_named(staff):
    ids = _events(staff, 4)
    _sql("DELETE FROM audit_events WHERE id = :id", id=ids[2])
    _sql("INSERT INTO audit_events (id, at, actor_label, action, object_type, object_id, prev_hash, hash) "
         "VALUES (:id, '2026-12-01 12:00:00', 'system', 'proof.approved', 'proof', 'p1', :prev, :hash)",
         id=ids[2], prev=db.session.get(AuditEvent, ids[1]).hash, hash="f" * 64)
    assert verify_chain().broken_id == ids[2]


def test_record_keeps_its_old_signature_and_events_of_a_rolled_back_transaction_leave_no_gap(app):
    record("world.import", "world", "w", actor_label="import", data={"files": 3})
    db.session.commit()
    record("proof.approved", "proof", "p1", actor_label="system")
    db.session.rollback()
    record("proof.rejected", "proof", "p2", actor_label="system", data={"reason": "x"})
    db.session.commit()
    report = verify_chain()
    assert report.ok and report.checked == 2


def test_cli_verify_exits_non_zero_naming_the_broken_event(staff, runner):
    ids = _events(staff)
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "verified: 5 events" in ok.output
    _sql("UPDATE audit_events SET data = :d WHERE id = :id", d='{"n": 42}', id=ids[3])
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert f"event {ids[3]}" in broken.output


def test_an_empty_log_verifies(app):
    assert verify_chain().ok


def test_verify_reports_progress_on_long_runs(staff):
    _events(staff, 7)
    seen = []
    assert verify_chain(batch=2, progress=seen.append, every=3).ok
    assert seen == [3, 6]


def test_labels_and_ids_from_outside_are_bounded_and_the_chain_still_verifies(app):
    """A 300-character email typed at the sign-in form, a client name at its longest: recorded cut to
    LABEL_CHARS (on PostgreSQL the column would refuse more), hashed as stored."""
    from app.platform.audit import LABEL_CHARS, bounded

    typed = "x" * 300 + "@example.test"
    client_label = "api:" + "n" * 120
    record("staff.login_throttled", "staff", typed, actor_label=client_label)
    record("staff.login_throttled", "staff", "short@example.test", actor_label=typed)
    db.session.commit()
    first, second = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(2)).all()[::-1]
    assert len(first.object_id) == LABEL_CHARS and first.object_id == bounded(typed) and first.object_id.endswith("…")
    assert first.actor_label == client_label  # 124 characters: kept whole
    assert second.actor_label == bounded(typed)
    assert verify_chain().ok

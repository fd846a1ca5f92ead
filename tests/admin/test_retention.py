"""Retention purges the raw address and device detail of old decided proofs, and nothing else."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.admin.jobs import purge_expired_personal_data
from app.admin.services import retention, settings
from models import AuditEvent, Proof, ProofScore, RetentionRun, ReviewDecision, StaffUser, db, utcnow
from tests.money import helpers as h
from tests.review.conftest import imported  # noqa: F401 - a fixture

DEVICE = {"user_agent": "Mozilla/5.0 (iPhone)", "device_platform": "iPhone", "device_os": "iOS 18",
          "device_screen": "390x844", "device_timezone": "Asia/Shanghai", "device_language": "zh-CN",
          "device_webgl_renderer": "Apple GPU", "device_touch_points": 5, "device_hardware_concurrency": 6,
          "device_present": True, "device_fp_hash": "f" * 32, "device_canvas_hash": "c" * 32,
          "device_webdriver": False, "device_emulator": False, "ip_country": "CN", "ip_asn_name": "China Mobile"}


def _proof(pid: str, *, days_old: int, state: str, worker: str = "w1") -> None:
    row = h.proof(pid, worker=worker, state="in_review")
    row.submitted_at = utcnow() - timedelta(days=days_old)
    for column, value in DEVICE.items():
        setattr(row, column, value)
    db.session.add(ProofScore(proof_id=pid, risk_score=0.2, rule_score=0.2, route="review", reasons="x"))
    if state == "approved":
        h.approve(pid)
    elif state == "rejected":
        h.reject(pid, reason="fraud_bot")
    db.session.flush()


def _world() -> None:
    h.world()
    _proof("old-approved", days_old=200, state="approved")
    _proof("old-rejected", days_old=120, state="rejected", worker="w2")
    _proof("old-waiting", days_old=150, state="in_review")
    _proof("new-approved", days_old=10, state="approved", worker="w2")
    db.session.commit()


def _row(pid: str) -> Proof:
    db.session.expire_all()
    return db.session.get(Proof, pid)


def test_purges_only_old_decided_proofs_and_keeps_hashes_scores_and_decisions(app):
    _world()
    assert retention.due_count() == 2
    message = purge_expired_personal_data("cli")
    assert message.startswith("purged 2 proofs")
    for pid in ("old-approved", "old-rejected"):
        row = _row(pid)
        assert row.pii_purged_at is not None
        assert all(getattr(row, column) is None for column in retention.PURGED_COLUMNS)
        assert row.ip_hash == f"h{pid}"[:32] and row.ip_prefix_hash == "pfx"
        assert (row.device_fp_hash, row.device_canvas_hash, row.ip_country) == ("f" * 32, "c" * 32, "CN")
        assert db.session.get(ProofScore, pid).risk_score == 0.2
        assert db.session.scalar(sa.select(ReviewDecision.decision).where(ReviewDecision.proof_id == pid))
    for pid in ("old-waiting", "new-approved"):  # waiting for a decision, or inside the period: untouched
        row = _row(pid)
        assert row.pii_purged_at is None and row.ip_enc == "x" and row.device_os == "iOS 18"
    run = db.session.scalar(sa.select(RetentionRun))
    assert (run.status, run.proofs_purged, run.trigger, run.retention_days) == ("done", 2, "cli", 90)
    actions = list(db.session.scalars(sa.select(AuditEvent.action).where(AuditEvent.action.like("retention.%"))
                                      .order_by(AuditEvent.id)))
    assert actions == ["retention.purged", "retention.finished"]


def test_a_second_run_purges_nothing_twice_and_small_batches_resume(app):
    _world()
    admin = StaffUser(email="a@example.test", name="A", role="admin", password_hash="x")
    db.session.add(admin)
    db.session.flush()
    settings.change({"retention_batch_size": 100}, actor=admin)
    db.session.commit()
    for i in range(250):
        _proof(f"bulk-{i:03d}", days_old=100, state="approved")
    db.session.commit()
    purge_expired_personal_data("cli")
    first = db.session.scalar(sa.select(RetentionRun).order_by(RetentionRun.id.desc()))
    assert (first.proofs_purged, first.batches) == (252, 3)
    stamps = dict(db.session.execute(sa.select(Proof.id, Proof.pii_purged_at)).all())
    purge_expired_personal_data("schedule")
    second = db.session.scalar(sa.select(RetentionRun).order_by(RetentionRun.id.desc()))
    assert second.proofs_purged == 0 and second.status == "done"
    assert dict(db.session.execute(sa.select(Proof.id, Proof.pii_purged_at)).all()) == stamps


def test_a_run_left_running_is_marked_interrupted_and_the_next_one_finishes_its_work(app):
    _world()
    stopped = retention.start_run("schedule")
    retention.purge_batch(stopped, limit=1)
    db.session.commit()  # one batch done, then the worker was killed
    assert retention.due_count() == 1
    purge_expired_personal_data("schedule")
    db.session.expire_all()
    runs = list(db.session.scalars(sa.select(RetentionRun).order_by(RetentionRun.id)))
    assert [(r.status, r.proofs_purged) for r in runs] == [("interrupted", 1), ("done", 1)]
    assert retention.due_count() == 0


def test_a_longer_retention_period_purges_less(app):
    _world()
    admin = StaffUser(email="a@example.test", name="A", role="admin", password_hash="x")
    db.session.add(admin)
    db.session.flush()
    settings.change({"retention_days": 180}, actor=admin)
    db.session.commit()
    purge_expired_personal_data("cli")
    assert _row("old-approved").pii_purged_at is not None
    assert _row("old-rejected").pii_purged_at is None  # 120 days old, kept for 180


def test_a_purged_proof_still_opens_and_its_address_can_no_longer_be_revealed(client, login, imported):  # noqa: F811
    from tests.review.helpers import put_in_queue

    imported(2)
    put_in_queue("p1", "review", 0.5)
    db.session.execute(sa.update(Proof).where(Proof.id == "p1").values(
        {**dict.fromkeys(retention.PURGED_COLUMNS), "pii_purged_at": utcnow()}))
    db.session.commit()
    login("senior_moderator")
    page = client.get("/queue/proofs/p1")
    assert page.status_code == 200 and "223.104.3.x" not in page.get_data(as_text=True)  # no masked address left
    refused = client.post("/queue/proofs/p1/reveal-ip", data={"reason": "appeal: worker says it was a campus VPN"})
    assert refused.status_code == 422 and "purged after the retention period" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).where(AuditEvent.action == "pii.revealed")) == 0

"""Concurrent settlement on PostgreSQL: row locks (SKIP LOCKED) split the work, idempotency keys stop
a second payment. SQLite serialises writers, so these tests need PostgreSQL."""
from __future__ import annotations

import os
import threading
import time

import pytest
import sqlalchemy as sa

from app.money.jobs import run_settlement
from app.money.services import ledger
from app.money.services.verify import verify
from models import LedgerEntry, db
from tests.money import helpers as h

pytestmark = pytest.mark.skipif("postgresql" not in os.environ.get("TEST_DATABASE_URL", ""),
                                reason="needs PostgreSQL row locks")


def approved_world(count: int) -> list[str]:
    h.world(campaigns={"c1": {}, "c2": {"reward_cents": 250, "commission_rate": 0.1}},
            workers={f"w{i}": h.OLD_ACCOUNT for i in range(12)})
    ids = []
    for i in range(count):
        pid = f"p{i:04d}"
        h.proof(pid, campaign="c1" if i % 3 else "c2", worker=f"w{i % 12}")
        h.approve(pid, kind="import")
        ids.append(pid)
    db.session.commit()
    return ids


def settle_counts() -> dict[str, int]:
    return dict(db.session.execute(sa.select(LedgerEntry.proof_id, sa.func.count()).where(
        LedgerEntry.kind == "settle").group_by(LedgerEntry.proof_id)).all())


def wait_until(condition, timeout: float = 20.0) -> None:  # noqa: ANN001
    """Poll a condition (not a sleep standing in for synchronisation); fail if it never holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition never held")
        time.sleep(0.01)


def test_locked_proofs_are_skipped_not_waited_for_and_settle_later(app):
    ids = approved_world(10)
    holder = db.engine.connect()
    tx = holder.begin()
    holder.execute(sa.text("SELECT id FROM proofs WHERE id IN :ids FOR UPDATE").bindparams(
        sa.bindparam("ids", expanding=True)), {"ids": ids[:4]})
    try:
        db.session.execute(sa.text("SET lock_timeout = '5s'"))  # a wait instead of a skip would fail loudly
        first, _ = run_settlement(chunk_size=3)
        assert first.proofs == 6 and set(settle_counts()) == set(ids[4:])
    finally:
        tx.rollback()
        holder.close()
    second, _ = run_settlement(chunk_size=3)
    assert second.proofs == 4
    assert settle_counts() == {pid: 1 for pid in ids}
    assert verify().ok


def test_two_settlement_workers_at_once_never_double_pay(app):
    ids = approved_world(300)
    start = threading.Barrier(2)
    results, errors = [], []

    def worker() -> None:
        try:
            with app.app_context():
                start.wait()
                totals, _ = run_settlement(chunk_size=20)
                results.append(totals)
                db.session.remove()
        except Exception as exc:  # surfaced below; a thread cannot fail the test by itself
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == []
    assert sum(t.proofs for t in results) == 300
    assert settle_counts() == {pid: 1 for pid in ids}
    expected_revenue = 200 * 15 + 100 * 25
    assert sum(t.commission_cents for t in results) == expected_revenue == h.balance("platform_revenue")
    assert verify().ok


def test_same_idempotency_key_from_two_sessions_posts_once(app):
    h.world()
    accounts = ledger.account_ids(["brand_escrow:b1:c1", "brand_funding:b1"])

    def draft() -> ledger.Draft:
        return ledger.Draft(key="fund:c1:top-up", kind="fund", campaign_id="c1", brand_id="b1",
                            legs={accounts["brand_funding:b1"]: -100, accounts["brand_escrow:b1:c1"]: 100})

    assert len(ledger.post([draft()])) == 1  # first session: posted, not committed yet
    outcome = []

    def second_session() -> None:
        with app.app_context():
            outcome.append(ledger.post([draft()]))
            db.session.commit()
            db.session.remove()

    thread = threading.Thread(target=second_session)
    thread.start()
    wait_until(lambda: lock_waiters() >= 1)  # the second session is blocked on our uncommitted key
    db.session.commit()
    thread.join(30)
    assert outcome == [[]]  # it waited for the first session, then found the key taken
    assert h.balance("brand_escrow:b1:c1") == 100_100 and verify().ok


def lock_waiters() -> int:
    with db.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                                    "AND datname = current_database()")).scalar()

"""A small money world built straight in the database (no import, no scoring), for fast tests."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from app.money.services import funding
from app.review.services.decisions import decide
from models import Brand, Campaign, Proof, ReviewDecision, Room, StaffUser, Worker, db

T0 = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
OLD_ACCOUNT = T0 - timedelta(days=200)


def world(*, campaigns: dict[str, dict] | None = None, workers: dict[str, datetime] | None = None,
          fund: bool = True) -> None:
    """Brand b1, room r1, campaigns (id -> overrides), workers (id -> created_at); funds active campaigns."""
    db.session.add(Brand(id="b1", name="Glow", kyc_status="verified"))
    db.session.add(Room(id="r1", platform="douyin", name="Glow room"))
    db.session.flush()  # no ORM relationships: flush parents before children so foreign keys hold
    campaigns = campaigns or {"c1": {}}
    for cid, over in campaigns.items():
        db.session.add(Campaign(**{"id": cid, "brand_id": "b1", "room_id": "r1", "action": "comment",
                                   "reward_cents": 100, "budget_cents": 100_000, "commission_rate": 0.15,
                                   "max_completions": None, "status": "active", **over}))
    db.session.flush()
    for wid, created in (workers or {"w1": OLD_ACCOUNT, "w2": OLD_ACCOUNT}).items():
        db.session.add(Worker(id=wid, created_at=created))
    db.session.flush()
    if fund:
        funding.fund_campaigns(list(campaigns), actor_label="test")
    db.session.commit()


def proof(pid: str, campaign: str = "c1", worker: str = "w1", state: str = "in_review") -> Proof:
    row = Proof(id=pid, campaign_id=campaign, worker_id=worker, accepted_at=T0, submitted_at=T0 + timedelta(minutes=5),
                ip_enc="x", ip_hash=f"h{pid}"[:32], ip_prefix_hash="pfx", ip_version=4, state=state, source="api")
    db.session.add(row)
    db.session.flush()
    return row


def moderator() -> StaffUser:
    user = db.session.scalar(sa.select(StaffUser).where(StaffUser.email == "mod@example.test"))
    if user is None:
        user = StaffUser(email="mod@example.test", name="Mod", role="moderator", password_hash="x")
        db.session.add(user)
        db.session.flush()
    return user


def approve(pid: str, *, kind: str = "human", at: datetime | None = None) -> None:
    """Approve a waiting proof: a human via the review service, or a policy/import decision at `at`."""
    row = db.session.get(Proof, pid)
    if kind == "human":
        decide(row, "approved", actor=moderator())
    else:
        row.transition("approved")
        db.session.add(ReviewDecision(proof_id=pid, decision="approved", actor_kind=kind, decided_at=at or T0,
                                      reason_code="policy_low_risk" if kind == "system" else None))
    db.session.flush()


def reject(pid: str, reason: str = "fraud_bot") -> None:
    decide(db.session.get(Proof, pid), "rejected", actor=moderator(), reason_code=reason)


def balance(code: str) -> int:
    from app.money.services.ledger import balance as cached

    return cached(code)


def state(pid: str) -> str:
    return db.session.scalar(sa.select(Proof.state).where(Proof.id == pid))

"""A senior moderator reverses a decision within the window, and the money follows."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.money.jobs import run_settlement
from app.money.services.verify import verify
from app.review.services.claims import NotAllowed
from app.review.services.decisions import current_decision, decide
from app.review.services.reversal import ReversalError, reverse
from models import AuditEvent, db, utcnow
from tests.money import helpers as h


@pytest.fixture()
def senior(staff):  # noqa: ANN001, ANN201
    return staff("senior_moderator", "lead@example.test")


def test_an_approval_not_yet_settled_is_reversed_to_rejected(app, senior):
    h.world()
    h.proof("p1")
    h.approve("p1")
    db.session.commit()
    assert reverse("p1", senior, reason_code="fraud_ring", note="ring found", now=utcnow()) == "rejected"
    db.session.commit()
    run_settlement()
    assert h.state("p1") == "rejected" and h.balance("worker_payable:w1") == 0
    decision = current_decision("p1")
    assert (decision.decision, decision.reason_code, decision.actor_id) == ("rejected", "fraud_ring", senior.id)
    audited = db.session.scalar(sa.select(AuditEvent.data).where(AuditEvent.action == "proof.reversed"))
    assert audited["from"] == "approved"


def test_a_settled_proof_is_clawed_back(app, senior):
    h.world()
    h.proof("p1")
    h.approve("p1")
    db.session.commit()
    run_settlement()
    assert h.balance("worker_payable:w1") == 85
    assert reverse("p1", senior, reason_code="fraud_bot", note="bot", now=utcnow()) == "clawed_back"
    db.session.commit()
    assert h.balance("worker_payable:w1") == 0 and h.balance("brand_escrow:b1:c1") == 100_000
    assert verify().ok


def test_a_rejection_is_reversed_to_approved_and_then_settles(app, senior):
    h.world()
    h.proof("p1")
    h.reject("p1")
    db.session.commit()
    new_state = reverse("p1", senior, reason_code=None, note="false positive: shared office Wi-Fi", now=utcnow())
    assert new_state == "approved"
    db.session.commit()
    run_settlement()
    assert h.state("p1") == "settled" and h.balance("worker_payable:w1") == 85


def test_a_rejection_whose_reward_left_escrow_is_not_reversed_and_nobody_goes_unpaid(app, senior):
    """Budget for two rewards: p1 rejected frees its slot, p2 approved takes it, closing the campaign
    returns the rest to the brand. Approving p1 again would leave p2 unpaid: refused, p1 stays rejected."""
    from app.money.services.funding import FundingError, close_campaign

    h.world(campaigns={"c1": {"budget_cents": 200}})
    h.proof("p1")
    h.proof("p2", worker="w2")
    h.reject("p1")
    h.approve("p2")
    db.session.commit()
    assert close_campaign("c1", actor_label="test") == 100
    db.session.commit()
    with pytest.raises(FundingError, match="escrow no longer holds"):
        reverse("p1", senior, reason_code=None, note="false positive after all", now=utcnow())
    db.session.rollback()
    run_settlement()
    assert (h.state("p1"), h.state("p2")) == ("rejected", "settled") and verify().ok


def test_refused_outside_the_window_to_its_author_and_to_a_moderator(app, senior, staff):
    h.world()
    h.proof("p1")
    h.approve("p1")
    db.session.commit()
    with pytest.raises(ReversalError, match="window is 72 hours"):
        reverse("p1", senior, reason_code="fraud_bot", note="late", now=utcnow() + timedelta(hours=73))
    with pytest.raises(NotAllowed):
        reverse("p1", h.moderator(), reason_code="fraud_bot", note="not mine to do", now=utcnow())
    decide(h.proof("p2"), "approved", actor=senior)
    db.session.commit()
    with pytest.raises(NotAllowed, match="four eyes"):
        reverse("p2", senior, reason_code="fraud_bot", note="my own", now=utcnow())
    with pytest.raises(ReversalError, match="reason code"):
        reverse("p1", senior, reason_code=None, note="no reason", now=utcnow())
    assert h.state("p1") == "approved"


def test_the_proof_page_offers_the_reversal_to_a_senior(app, client, login, senior):
    h.world()
    h.proof("p1")
    h.approve("p1")
    db.session.commit()
    login("moderator", "other@example.test")
    assert 'id="reverse"' not in client.get("/queue/proofs/p1").get_data(as_text=True)
    client.post("/logout", data={"submit": "1"})
    client.post("/login", data={"email": senior.email, "password": "correct-horse"})
    assert 'id="reverse-submit"' in client.get("/queue/proofs/p1").get_data(as_text=True)
    response = client.post("/queue/proofs/p1/reverse", data={"reason_code": "fraud_ring", "note": "ring"})
    assert response.status_code == 302
    assert h.state("p1") == "rejected"

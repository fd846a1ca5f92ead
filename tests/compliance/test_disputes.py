"""Brand disputes: through the API (a brand's own token) and the browser; proofs pulled back, settled ones
clawed back once upheld, the decision becomes a fraud label, and the scorecard counts them."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.auth.services.api_tokens import create_token
from app.compliance.services import case_outcomes, cases, disputes
from app.compliance.services.disputes import DisputeError
from app.money.jobs import run_settlement
from app.money.services.verify import verify
from app.platform.audit import verify_chain
from app.scoring.services.model_training import labelled_decisions
from models import AuditEvent, Brand, BrandScorecard, Campaign, ComplianceCase, Dispute, ReviewItem, db
from tests.money import helpers as h


@pytest.fixture()
def officer(staff):  # noqa: ANN001, ANN201
    return staff("compliance")


@pytest.fixture()
def money_world(app):  # noqa: ANN001, ANN201
    """p1 settled, p2b approved (not settled), p3 waiting for review, p4 rejected; b2 owns c9 with p9."""
    h.world()
    h.proof("p1")
    h.approve("p1")
    db.session.commit()
    run_settlement()
    h.proof("p2b", worker="w2")
    h.approve("p2b")
    h.proof("p3", worker="w2", state="scored")
    h.proof("p4", worker="w2")
    h.reject("p4")
    db.session.add(Brand(id="b2", name="Other", kyc_status="verified"))
    db.session.flush()
    db.session.add(Campaign(id="c9", brand_id="b2", room_id="r1", action="like", reward_cents=100,
                            budget_cents=1000, commission_rate=0.1, status="active"))
    db.session.flush()
    h.proof("p9", campaign="c9")
    db.session.commit()


def _brand_token(brand_id: str = "b1") -> dict[str, str]:
    _, token = create_token(f"{brand_id}-app", brand_id=brand_id)
    db.session.commit()
    return {"Authorization": f"Bearer {token}"}


def test_a_dispute_opens_a_case_pulls_unsettled_proofs_back_and_marks_settled_ones(app, money_world):
    assert h.state("p1") == "settled" and h.state("p2b") == "approved"
    filed = disputes.file_dispute("b1", ["p1", "p2b", "p3", "p4", "p2b"], "these accounts are a farm",
                                  source="api", actor_label="api:b1-app")
    db.session.commit()
    assert filed.case_opened and filed.case.subject_type == "brand" and filed.case.subject_id == "b1"
    assert filed.actions == {"p1": "clawback", "p2b": "reopened", "p3": "queued", "p4": "unchanged"}
    assert h.state("p2b") == "in_review" and h.state("p1") == "settled"
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == "p2b"))
    assert item.queue == "hold" and item.status == "open"
    reopened = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "proof.reopened",
                                                             AuditEvent.object_id == "p2b"))
    assert reopened is not None and reopened.actor_label == "api:b1-app"
    attached = {i.ref for i in cases.items_of(filed.case.id) if i.kind == "proof"}
    assert attached == {"p1", "p2b", "p3", "p4"}
    again = disputes.file_dispute("b1", ["p3"], "one more fake one", source="browser", actor_label="x")
    assert not again.case_opened and again.case.id == filed.case.id  # the brand's open case
    assert verify_chain().ok


def test_foreign_unknown_and_empty_disputes_are_refused(app, money_world):
    with pytest.raises(DisputeError) as refused:
        disputes.file_dispute("b1", ["p1", "p9", "ghost"], "these are fake", source="api")
    assert set(refused.value.problems) == {"p9", "ghost"}
    assert refused.value.problems["p9"] == refused.value.problems["ghost"]  # nothing said of b2's proof
    for bad in ([], "p1", [1], None):
        with pytest.raises(DisputeError):
            disputes.file_dispute("b1", bad, "these are fake", source="api")
    with pytest.raises(DisputeError):
        disputes.file_dispute("b1", ["p1"], "bad", source="api")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ComplianceCase)) == 0


def test_upheld_dispute_rejects_claws_back_labels_and_counts(app, money_world, officer):
    filed = disputes.file_dispute("b1", ["p1", "p2b", "p3"], "these accounts are a farm", source="api")
    db.session.commit()
    escrow_before = h.balance("brand_escrow:b1:c1")
    with pytest.raises(Exception):  # noqa: B017 - an open dispute keeps its case open
        case_outcomes.close_case(filed.case.id, [], actor=officer, reason="closing too early")
    db.session.rollback()
    results = disputes.decide_dispute(filed.dispute.id, True, actor=officer, note="same device farm")
    db.session.commit()
    assert results == {"p1": "clawed_back", "p2b": "rejected", "p3": "rejected"}
    assert h.state("p1") == "clawed_back" and h.state("p2b") == "rejected"
    assert h.balance("brand_escrow:b1:c1") == escrow_before + 100
    labels = labelled_decisions().set_index("proof_id")["label"]
    assert labels["p1"] == 1 and labels["p2b"] == 1 and labels["p3"] == 1
    with pytest.raises(DisputeError):
        disputes.decide_dispute(filed.dispute.id, False, actor=officer, note="changed my mind")
    from app.compliance.services.scorecard import refresh_scorecards
    refresh_scorecards()
    card = db.session.get(BrandScorecard, "b1")
    assert (card.disputes, card.disputed_proofs, card.upheld_proofs) == (1, 3, 3)
    case_outcomes.close_case(filed.case.id, [], actor=officer, reason="dispute settled")
    db.session.commit()
    assert verify().ok and verify_chain().ok


def test_rejected_dispute_leaves_money_and_proofs_to_the_moderators(app, money_world, officer):
    filed = disputes.file_dispute("b1", ["p1", "p2b"], "we think these are fake", source="api")
    disputes.decide_dispute(filed.dispute.id, False, actor=officer, note="real customers, checked")
    db.session.commit()
    assert h.state("p1") == "settled" and h.state("p2b") == "in_review"
    assert db.session.get(Dispute, filed.dispute.id).status == "rejected"


def test_a_refund_leaves_completions_a_rejected_dispute_found_genuine(app, money_world, officer):
    filed = disputes.file_dispute("b1", ["p1"], "we think this one is fake", source="api")
    disputes.decide_dispute(filed.dispute.id, False, actor=officer, note="real customer, checked")
    case_outcomes.close_case(filed.case.id, [("refund", "refund what was fake")], actor=officer,
                             reason="the dispute was unfounded")
    db.session.commit()
    assert h.state("p1") == "settled"
    [outcome] = case_outcomes.outcomes_of(filed.case.id)
    assert outcome.result["clawed_back"] == 0 and outcome.result["kept"] == ["p1"]
    assert verify().ok


def test_api_dispute_needs_a_brand_token_for_its_own_brand(client, app, money_world):
    _, plain = create_token("platform-app")
    db.session.commit()
    body = {"proof_ids": ["p2b"], "reason": "fake completions"}
    answer = client.post("/api/v1/disputes", json=body, headers={"Authorization": f"Bearer {plain}"})
    assert answer.status_code == 403 and answer.get_json()["error"] == "not_a_brand_client"
    headers = _brand_token("b1")
    answer = client.post("/api/v1/disputes", json={**body, "brand_id": "b2"}, headers=headers)
    assert answer.status_code == 403 and answer.get_json()["error"] == "wrong_brand"
    answer = client.post("/api/v1/disputes", json={"proof_ids": ["p9"], "reason": "fake completions"},
                         headers=headers)
    assert answer.status_code == 422 and answer.get_json()["items"][0]["proof_id"] == "p9"
    answer = client.post("/api/v1/disputes", json=body, headers=headers)
    assert answer.status_code == 201
    data = answer.get_json()
    assert data["case_opened"] is True and data["proofs"] == {"p2b": "reopened"}
    assert h.state("p2b") == "in_review"
    assert client.post("/api/v1/disputes", json=body).status_code == 401
    read_only = create_token("b1-reader", brand_id="b1", scopes=("read",))[1]
    db.session.commit()
    assert client.post("/api/v1/disputes", json=body,
                       headers={"Authorization": f"Bearer {read_only}"}).status_code == 403


@pytest.mark.parametrize("reason", [12345678, ["these are fake"], {"why": "fake"}, True])
def test_a_reason_that_is_not_text_is_refused_naming_the_field(client, app, money_world, reason):
    with pytest.raises(DisputeError, match="^reason: "):
        disputes.file_dispute("b1", ["p2b"], reason, source="api")
    db.session.rollback()
    answer = client.post("/api/v1/disputes", json={"proof_ids": ["p2b"], "reason": reason}, headers=_brand_token())
    assert answer.status_code == 422, answer.get_data(as_text=True)
    assert answer.get_json()["error"] == "validation" and answer.get_json()["message"].startswith("reason: ")
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Dispute)) == 0
    assert h.state("p2b") == "approved"


def test_browser_dispute_on_the_brands_behalf(client, auth, staff, app, money_world):
    staff("compliance")
    auth.login("compliance@example.test")
    page = client.post("/compliance/brands/b1/disputes",
                       data={"proof_ids": "p2b, p3\np9", "brand_reason": "brand called"})
    assert page.status_code == 302 and db.session.scalar(sa.select(sa.func.count()).select_from(Dispute)) == 0
    page = client.post("/compliance/brands/b1/disputes",
                       data={"proof_ids": "p2b, p3", "brand_reason": "brand called"}, follow_redirects=True)
    assert page.status_code == 200
    dispute = db.session.scalar(sa.select(Dispute))
    assert dispute.source == "browser" and dispute.filed_by == "compliance@example.test"
    assert f"Dispute {dispute.id}" in page.get_data(as_text=True)
    decided = client.post(f"/compliance/disputes/{dispute.id}/decide",
                          data={"case_id": dispute.case_id, "note": "farm confirmed", "reason_code": "fraud_ring",
                                "uphold": "1"}, follow_redirects=True)
    assert decided.status_code == 200 and db.session.get(Dispute, dispute.id).status == "upheld"
    assert h.state("p2b") == "rejected"

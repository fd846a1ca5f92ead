"""Deciding from the workbench: state, decision row and audit row in one go; form errors;
claims held by others; the senior queue and the four-eyes rule; QA of policy approvals."""
from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from app.review.services.claims import claim_next
from app.review.services.decisions import decide
from app.review.services.queue import QA_SAMPLE_EVERY, QueueFilters
from app.scoring.services.scoring import route_proofs, store_scores
from models import AuditEvent, Proof, ReviewDecision, ReviewItem, db, utcnow
from tests.review.helpers import put_in_queue


@pytest.fixture()
def two_in_review(imported):
    imported(2)
    put_in_queue("p1", "review", 0.8)
    put_in_queue("p2", "review", 0.6)


def state(proof_id: str) -> tuple[str, str, str, int | None]:
    db.session.expire_all()
    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == proof_id))
    return db.session.get(Proof, proof_id).state, item.queue, item.status, item.claimed_by


def decisions(proof_id: str) -> list[ReviewDecision]:
    return list(db.session.scalars(sa.select(ReviewDecision).where(ReviewDecision.proof_id == proof_id)))


def audit(action: str, proof_id: str) -> AuditEvent | None:
    return db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == action, AuditEvent.object_id == proof_id))


def test_approve_records_state_decision_audit_and_opens_the_next(client, two_in_review, login):
    user = login("moderator")
    response = client.post("/queue/proofs/p1/decide?q=review", data={"approve": "1", "note": "looks real"})
    assert response.status_code == 302 and response.location.endswith("/queue/proofs/p2?q=review")
    assert state("p1") == ("approved", "review", "decided", user.id)
    [row] = decisions("p1")
    assert (row.decision, row.actor_id, row.actor_kind, row.note) == ("approved", user.id, "human", "looks real")
    assert audit("proof.approved", "p1").actor_id == user.id
    assert state("p2")[3] == user.id  # the next item is claimed for the same moderator


def test_reject_with_reason(client, two_in_review, login):
    login("moderator")
    client.post("/queue/proofs/p2/decide?q=review", data={"reject": "1", "reason_code": "fraud_proxy"})
    assert state("p2")[:3] == ("rejected", "review", "decided")
    assert decisions("p2")[0].reason_code == "fraud_proxy"
    assert audit("proof.rejected", "p2").data["reason_code"] == "fraud_proxy"


def test_reject_without_reason_is_a_form_error(client, two_in_review, login):
    login("moderator")
    response = client.post("/queue/proofs/p1/decide?q=review", data={"reject": "1", "reason_code": ""})
    assert response.status_code == 422
    assert b"A rejection needs a reason code." in response.data
    assert state("p1")[:3] == ("in_review", "review", "open") and decisions("p1") == []


def test_reason_other_needs_a_note(client, two_in_review, login):
    login("moderator")
    response = client.post("/queue/proofs/p1/decide", data={"reject": "1", "reason_code": "other"})
    assert response.status_code == 422 and b"needs a note" in response.data
    assert decisions("p1") == []


def test_unknown_reason_code_is_refused(client, two_in_review, login):
    login("moderator")
    response = client.post("/queue/proofs/p1/decide", data={"reject": "1", "reason_code": "because"})
    assert response.status_code == 422 and decisions("p1") == []


def test_escalate_moves_the_item_to_the_open_senior_queue(client, two_in_review, login):
    user = login("moderator")
    client.post("/queue/proofs/p1/decide?q=review", data={"escalate": "1", "note": "ring?"})
    assert state("p1") == ("in_review", "senior", "open", None)
    assert decisions("p1")[0].decision == "escalated" and decisions("p1")[0].actor_id == user.id
    assert audit("proof.escalated", "p1") is not None


def test_item_claimed_by_someone_else_cannot_be_decided(client, two_in_review, login, staff):
    ann = staff("moderator", "ann@example.test")
    claim_next(ann, QueueFilters(tab="review"), utcnow())
    db.session.commit()
    login("moderator", "bob@example.test")
    response = client.post("/queue/proofs/p1/decide?q=review", data={"approve": "1"})
    assert response.status_code == 409 and b"is working on proof p1" in response.data
    assert state("p1") == ("in_review", "review", "claimed", ann.id) and decisions("p1") == []


def test_decided_proof_shows_no_form_and_refuses_a_second_decision(client, two_in_review, login):
    login("moderator")
    client.post("/queue/proofs/p1/decide", data={"approve": "1"})
    page = client.get("/queue/proofs/p1")
    assert b'id="decision-form"' not in page.data and b"nothing left to decide" in page.data
    response = client.post("/queue/proofs/p1/decide", data={"reject": "1", "reason_code": "fraud_bot"})
    assert response.status_code == 409 and len(decisions("p1")) == 1


@pytest.fixture()
def escalated(imported, staff):
    imported(2)
    put_in_queue("p1", "hold", 0.9)
    put_in_queue("p2", "senior", 0.5)
    escalator = staff("senior_moderator", "esc@example.test")
    decide(db.session.get(Proof, "p1"), "escalated", actor=escalator, note="second look")
    db.session.commit()
    return escalator


def test_plain_moderator_cannot_decide_senior_items(client, escalated, login):
    login("moderator")
    response = client.post("/queue/proofs/p1/decide?q=review", data={"approve": "1"})
    assert response.status_code == 403 and decisions("p1")[-1].decision == "escalated"
    assert b"decided by a senior moderator" in client.get("/queue/proofs/p1?q=review").data


def test_four_eyes_the_escalator_cannot_decide(client, escalated, auth):
    auth.login("esc@example.test")
    response = client.post("/queue/proofs/p1/decide?q=senior", data={"approve": "1"})
    assert response.status_code == 403 and b"four eyes" in response.data
    assert state("p1")[:3] == ("in_review", "senior", "open")


def test_four_eyes_another_senior_decides(client, escalated, login):
    other = login("senior_moderator", "sam@example.test")
    response = client.post("/queue/proofs/p1/decide?q=senior", data={"reject": "1", "reason_code": "fraud_ring"})
    assert response.status_code == 302
    assert state("p1")[:3] == ("rejected", "senior", "decided") and decisions("p1")[-1].actor_id == other.id


def test_senior_claim_next_skips_what_you_escalated(escalated, staff):
    assert claim_next(escalated, QueueFilters(tab="senior"), utcnow()).proof_id == "p2"
    other = staff("senior_moderator", "sam@example.test")
    assert claim_next(other, QueueFilters(tab="senior"), utcnow()).proof_id == "p1"


def test_senior_items_cannot_be_escalated_again(client, escalated, login):
    login("senior_moderator", "sam@example.test")
    response = client.post("/queue/proofs/p1/decide?q=senior", data={"escalate": "1"})
    assert response.status_code == 400 and b"already with the senior queue" in response.data


@pytest.fixture()
def policy_approved(imported):
    """Policy approvals through the real routing path; one of them falls in the QA sample."""
    ids = imported(QA_SAMPLE_EVERY)
    scores = pd.DataFrame({
        "proof_id": ids, "risk_score": 0.05, "rule_score": 0.05, "model_score": None, "route": "auto_approve",
        "reasons": "", "signals": [[] for _ in ids], "explanation": None, "ruleset_version": 1,
        "model_version": None, "degraded": False})
    store_scores(scores)
    assert route_proofs(scores).auto_approved == len(ids)
    db.session.commit()
    return db.session.scalar(sa.select(ReviewItem.proof_id).where(ReviewItem.id % QA_SAMPLE_EVERY == 0))


def test_qa_confirm_records_and_leaves_the_sample(client, policy_approved, login):
    user = login("moderator")
    listed = f'data-href="/queue/proofs/{policy_approved}?'.encode()
    assert listed in client.get("/queue/?q=auto").data
    assert b"QA of a policy approval" in client.get(f"/queue/proofs/{policy_approved}?q=auto").data
    client.post(f"/queue/proofs/{policy_approved}/qa?q=auto", data={"confirm": "1"})
    assert audit("proof.qa_confirmed", policy_approved).actor_id == user.id
    assert listed not in client.get("/queue/?q=auto").data


def test_qa_reopen_sends_it_back_to_review_with_a_note(client, policy_approved, login):
    login("moderator")
    refused = client.post(f"/queue/proofs/{policy_approved}/qa?q=auto", data={"reopen": "1"})
    assert refused.status_code == 400 and state(policy_approved)[0] == "approved"
    client.post(f"/queue/proofs/{policy_approved}/qa?q=auto", data={"reopen": "1", "note": "same phone as a ring"})
    assert state(policy_approved) == ("in_review", "review", "open", None)
    assert audit("proof.reopened", policy_approved).data["note"] == "same phone as a ring"
    # a rescore that still finds it low-risk leaves it with a person: the QA reviewer sent it back
    from app.scoring.services.rerouting import Scored, reroute

    again = reroute([Scored(policy_approved, "auto_approve", 0.05, False)], utcnow())
    db.session.commit()
    assert again.auto_approved == [] and state(policy_approved)[0] == "in_review"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ReviewDecision).where(
        ReviewDecision.proof_id == policy_approved, ReviewDecision.actor_kind == "system")) == 1


def test_a_rescore_never_approves_what_a_flag_a_question_or_a_dispute_put_before_a_person(imported, staff):
    """Each of these leaves the item open and unclaimed: only the rescore's own check keeps it with a person."""
    from app.compliance.services.disputes import file_dispute
    from app.money.services.holds import open_flag
    from app.review.services.info import ask
    from app.scoring.services.rerouting import Scored, reroute

    imported(4)
    for pid in ("p1", "p2", "p4"):
        put_in_queue(pid, "review", 0.8)
    moderator = staff("moderator")
    open_flag("w1", kind="ring", reason="same canvas as a farm", proof_id="p1", actor=moderator)
    ask(db.session.get(Proof, "p2"), moderator, "Which phone did you use?", 24, utcnow())
    db.session.execute(sa.update(ReviewItem).where(ReviewItem.proof_id == "p2").values(status="open"))  # answered
    file_dispute("b1", ["p3"], "these completions are fake", source="api")  # p3 was never scored: a hold item
    db.session.commit()
    again = reroute([Scored(pid, "auto_approve", 0.05, False) for pid in ("p1", "p2", "p3", "p4")], utcnow())
    db.session.commit()
    assert again.auto_approved == ["p4"]  # the only one no person is involved with
    assert [state(pid)[0] for pid in ("p1", "p2", "p3")] == ["in_review"] * 3


def test_a_fresh_proof_a_flag_names_goes_to_review_however_low_its_score(imported, staff):
    from app.money.services.holds import open_flag

    imported(2)
    open_flag("w1", kind="ring", reason="same canvas as a farm", proof_id="p1", actor=staff("moderator"))
    db.session.commit()
    scores = pd.DataFrame({"proof_id": ["p1", "p2"], "route": ["auto_approve"] * 2, "risk_score": [0.05] * 2,
                           "degraded": [False] * 2})
    route_proofs(scores)
    db.session.commit()
    assert state("p1")[:3] == ("in_review", "review", "open") and state("p2")[0] == "approved"


def test_every_proof_a_bulk_policy_approval_moves_is_named_in_the_audit_trail(imported, monkeypatch):
    from app.scoring.services import rerouting

    monkeypatch.setattr(rerouting, "AUDIT_IDS", 2)  # a scoring batch holds 5,000 against rows of 1,000
    imported(5)
    route_proofs(pd.DataFrame({"proof_id": [f"p{i}" for i in range(1, 6)], "route": ["auto_approve"] * 5,
                               "risk_score": [0.05] * 5, "degraded": [False] * 5}))
    db.session.commit()
    rows = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "proof.approved")
                              .order_by(AuditEvent.id)).all()
    assert [r.data["proof_ids"] for r in rows] == [["p1", "p2"], ["p3", "p4"], ["p5"]]


def test_qa_reopen_of_a_proof_settled_meanwhile_is_refused(policy_approved, staff, monkeypatch):
    """The proof is read approved, then a settlement run pays it before the reopen writes: the reopen
    reads the row again under its lock and refuses, so a paid proof never goes back to review."""
    from app.review.services import claims

    item = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == policy_approved))
    proof = db.session.get(Proof, policy_approved)
    real = claims.locked_proof

    def settled_first(proof_id: str) -> Proof:  # what a settlement run committed just before the lock
        db.session.execute(sa.text("UPDATE proofs SET state = 'settled' WHERE id = :id"), {"id": proof_id})
        return real(proof_id)

    monkeypatch.setattr(claims, "locked_proof", settled_first)
    with pytest.raises(claims.QueueError, match="settled"):
        claims.reopen_from_qa(item, proof, staff("moderator"), "same phone as a ring", utcnow())

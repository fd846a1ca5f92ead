"""Routing a scored proof into the review gate: queued once, approved by policy at most once."""
from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from app.review.services.decisions import decide
from app.scoring.services.scoring import route_proofs
from models import Proof, ReviewDecision, ReviewItem, db


@pytest.fixture()
def proofs(runner, world):
    runner.invoke(args=["import", str(world.basic(proofs=3).write()), "--no-score"])
    return ["p1", "p2", "p3"]


def _scores(routes: dict[str, str], risk: float = 0.5, degraded: bool = False) -> pd.DataFrame:
    return pd.DataFrame({"proof_id": list(routes), "route": list(routes.values()),
                         "risk_score": [risk] * len(routes), "degraded": [degraded] * len(routes)})


def _items() -> dict[str, tuple[str, str, float]]:
    return {row.proof_id: (row.queue, row.status, row.priority) for row in db.session.scalars(sa.select(ReviewItem))}


def _decisions(proof_id: str) -> list[str]:
    return list(db.session.scalars(sa.select(ReviewDecision.actor_kind).where(ReviewDecision.proof_id == proof_id)))


def test_fresh_proofs_are_queued_and_low_risk_ones_approved_once(proofs):
    approved = route_proofs(_scores({"p1": "auto_approve", "p2": "review", "p3": "hold"}, risk=0.2))
    assert approved.auto_approved == 1
    assert route_proofs(_scores({"p1": "auto_approve"}, risk=0.2)).auto_approved == 0  # routed again: already moved
    db.session.commit()
    states = dict(db.session.execute(sa.select(Proof.id, Proof.state)).all())
    assert states == {"p1": "approved", "p2": "in_review", "p3": "in_review"}
    assert _items() == {"p1": ("auto", "decided", 0.2), "p2": ("review", "open", 0.2), "p3": ("hold", "open", 0.2)}
    assert _decisions("p1") == ["system"] and _decisions("p2") == []


def test_a_degraded_score_never_approves(proofs):
    assert route_proofs(_scores({"p1": "auto_approve"}, risk=0.1, degraded=True)).auto_approved == 0
    assert db.session.get(Proof, "p1").state == "in_review" and _items()["p1"][1] == "open"


def test_rescoring_moves_a_waiting_proof_and_leaves_a_decided_one(proofs, staff):
    route_proofs(_scores({"p1": "review", "p2": "review"}, risk=0.5))
    decide(db.session.get(Proof, "p2"), "approved", actor=staff("moderator"))
    route_proofs(_scores({"p1": "hold", "p2": "hold"}, risk=0.9))
    db.session.commit()
    items = _items()
    assert items["p1"] == ("hold", "open", 0.9)
    assert items["p2"][1] == "decided" and items["p2"][2] == 0.5
    assert db.session.get(Proof, "p2").state == "approved" and _decisions("p2") == ["human"]


def test_a_waiting_proof_the_new_score_clears_is_approved_by_policy_unless_a_person_holds_it(proofs, staff):
    route_proofs(_scores({"p1": "review", "p2": "review", "p3": "review"}, risk=0.5))
    user = staff("moderator")
    claimed = db.session.scalar(sa.select(ReviewItem).where(ReviewItem.proof_id == "p2"))
    claimed.status, claimed.claimed_by = "claimed", user.id
    decide(db.session.get(Proof, "p3"), "escalated", actor=user)
    routed = route_proofs(_scores({"p1": "auto_approve", "p2": "auto_approve", "p3": "auto_approve"}, risk=0.1))
    db.session.commit()
    assert routed.auto_approved == 1
    states = dict(db.session.execute(sa.select(Proof.id, Proof.state)).all())
    assert states == {"p1": "approved", "p2": "in_review", "p3": "in_review"}
    items = _items()
    assert items["p1"][:2] == ("auto", "decided") and _decisions("p1") == ["system"]
    assert items["p2"] == ("review", "claimed", 0.1)  # a person is on it; it waits for them, not in auto
    assert items["p3"] == ("senior", "open", 0.1)  # escalated: stays with the seniors


def test_a_policy_approval_in_its_hold_window_is_pulled_back_when_the_new_score_doubts_it(proofs):
    route_proofs(_scores({"p1": "auto_approve", "p2": "auto_approve"}, risk=0.1))
    routed = route_proofs(_scores({"p1": "hold", "p2": "auto_approve"}, risk=0.9))
    db.session.commit()
    assert routed.pulled_back == 1
    assert db.session.get(Proof, "p1").state == "in_review" and _items()["p1"] == ("hold", "open", 0.9)
    assert db.session.get(Proof, "p2").state == "approved"

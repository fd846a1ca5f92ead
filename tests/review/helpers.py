"""Helpers shared by the queue tests and the browser tests."""
from __future__ import annotations

from app.review.services.decisions import ensure_item
from models import Proof, ProofScore, ReviewItem, db


def put_in_queue(proof_id: str, queue: str, risk: float, route: str | None = None,
                 signals: list[dict] | None = None, degraded: bool = False,
                 explanation: list[dict] | None = None) -> ReviewItem:
    """Score a proof by hand (independent of the real scorer) and queue it."""
    proof = db.session.get(Proof, proof_id)
    signals = signals if signals is not None else [{"code": "ip.shared", "score": risk, "reason": "IP on 3 accounts"}]
    db.session.merge(ProofScore(
        proof_id=proof_id, risk_score=risk, route=route or ("hold" if queue == "hold" else "review"),
        reasons=";".join(s["code"] for s in signals), signals=signals, degraded=degraded,
        explanation=explanation, rule_score=risk, ruleset_version=3, model_version="m-2026-10-01"))
    item = ensure_item(proof, queue, risk)
    db.session.commit()
    return item

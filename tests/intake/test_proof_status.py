"""GET /api/v1/proofs/<id>: state, score summary, decision; never raw IP or phone."""
from __future__ import annotations

from datetime import datetime

from app.intake import routes
from app.intake.services.intake import scrub_personal
from app.review.services.decisions import decide
from models import Proof, ProofScore, ProofState, db
from tests import factories as f

RAW_IP = "223.104.3.77"


def test_scored_proof_shows_its_score_structure(api):
    api.post(f.proof(id="p1", ip=RAW_IP))
    response = api.get("p1")
    assert response.status_code == 200
    body = response.get_json()
    assert body["id"] == "p1" and body["state"] == db.session.get(Proof, "p1").state
    assert datetime.fromisoformat(body["submitted_at"]) == datetime.fromisoformat(f.proof()["submitted_at"])
    score = body["score"]  # scored in-process right after the POST (no REDIS_URL)
    assert set(score) == {"risk_score", "route", "reasons", "signals", "ruleset_version", "model_version",
                          "degraded", "scored_at"}
    assert 0 <= score["risk_score"] <= 1 and score["route"] in {"auto_approve", "review", "hold"}
    assert all(isinstance(code, str) and code for code in score["reasons"])
    assert all(set(s) == {"code", "score", "reason"} for s in score["signals"])
    assert body["decision"] is None or set(body["decision"]) == {"decision", "reason_code", "reason_text",
                                                                 "decided_at", "actor_kind", "worker_message"}


def test_unscored_proof_with_a_human_decision(api, staff, monkeypatch):
    monkeypatch.setattr(routes, "enqueue_scoring", lambda ids: [])
    api.post(f.proof(id="p1"))
    moderator = staff("moderator")
    decide(db.session.get(Proof, "p1"), "rejected", actor=moderator, reason_code="fraud_bot")
    db.session.commit()
    body = api.get("p1").get_json()
    assert body["score"] is None and body["state"] == ProofState.REJECTED.value
    assert body["decision"]["decision"] == "rejected" and body["decision"]["reason_code"] == "fraud_bot"
    assert body["decision"]["actor_kind"] == "human" and body["decision"]["decided_at"].endswith("Z")


def test_unknown_proof_is_404_json(api):
    response = api.get("nope")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_raw_ip_and_phone_never_leave_the_api(api, monkeypatch):
    monkeypatch.setattr(routes, "enqueue_scoring", lambda ids: [])
    posted = api.post(f.proof(id="p1", ip=RAW_IP))
    db.session.add(ProofScore(proof_id="p1", risk_score=0.9, route="hold", reasons="ip.shared;account.phone",
                              signals=[{"code": "ip.shared", "score": 0.8, "reason": f"{RAW_IP} used by 40 accounts"},
                                       {"code": "account.phone", "score": 0.5, "reason": "phone +8613800138001 reused"},
                                       {"code": "ip.v6", "score": 0.1, "reason": "2409:8a00:1:2::77 on a carrier"}],
                              degraded=False))
    db.session.commit()
    responses = [posted, api.get("p1"), api.post(f.proof(id="p1", ip=RAW_IP)),
                 api.post(f.proof(id="p1", ip="10.1.1.1")), api.post([f.proof(id="p9", ip=RAW_IP, worker_id="w404")])]
    for response in responses:
        text = response.get_data(as_text=True)
        assert RAW_IP not in text and "13800138001" not in text and "2409:8a00:1:2::77" not in text
    reasons = [s["reason"] for s in responses[1].get_json()["score"]["signals"]]
    assert reasons[0] == "223.104.3.x used by 40 accounts" and "[phone]" in reasons[1]


def test_scrub_leaves_times_and_counts_alone():
    text = "submitted 2026-10-01T20:05:00+08:00 after 37 s; 12 accounts"
    assert scrub_personal(text) == text
    assert scrub_personal("from 10.0.0.1 and 2409:8a00:1:2::77") == "from 10.0.0.x and 2409:8a00:1::/48"
    assert scrub_personal("Class::method at 20:05:00") == "Class::method at 20:05:00"


def test_a_client_learns_why_its_proof_was_flagged_not_who_else_was(api, monkeypatch):
    monkeypatch.setattr(routes, "enqueue_scoring", lambda ids: [])
    api.post(f.proof(id="p1"))
    db.session.add(ProofScore(proof_id="p1", risk_score=0.9, route="hold", reasons="device.shared_fingerprint",
                              signals=[{"code": "device.shared_fingerprint", "score": 1.0,
                                        "reason": "fingerprint seen on 5 accounts in 30 d: w1, w2, w3, w4, w5"},
                                       {"code": "graph.ring", "score": 0.5,
                                        "reason": "linked to a ring of 12 accounts: w7, w8, w9, w10, w11, …"},
                                       {"code": "ip.geo_mismatch", "score": 0.3,
                                        "reason": "IP in US, account region in CN, device time zone in unknown"}],
                              degraded=False))
    db.session.commit()
    reasons = [s["reason"] for s in api.get("p1").get_json()["score"]["signals"]]
    assert reasons == ["fingerprint seen on 5 accounts in 30 d", "linked to a ring of 12 accounts",
                       "IP in US, account region in CN, device time zone in unknown"]

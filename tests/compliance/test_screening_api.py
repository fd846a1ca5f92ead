"""Campaigns created and edited through the JSON API are screened like imported ones."""
from __future__ import annotations

import sqlalchemy as sa

from app.auth.services.api_tokens import create_token
from app.compliance.services import screening
from app.money.services.funding import escrow_balances
from models import AuditEvent, Campaign, db
from tests import factories as f


def _api(client, screened_world):  # noqa: ANN001, ANN202
    screened_world()
    _, token = create_token("brand-portal")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    return lambda method, path, body=None: getattr(client, method)(f"/api/v1{path}", json=body, headers=headers)


def test_clean_campaign_goes_live_and_is_funded(client, screened_world):
    call = _api(client, screened_world)
    response = call("post", "/campaigns", f.campaign(id="c10", brief="Watch 5 minutes and ask the host a question."))
    assert response.status_code == 201
    body = response.get_json()
    assert (body["status"], body["screening"]["status"], body["screening"]["findings"]) == ("active", "clear", [])
    assert escrow_balances(["c10"]) == {"c10": 100_000}
    assert response.headers["Location"].endswith("/api/v1/campaigns/c10")


def test_a_suspended_brand_cannot_start_a_campaign(client, screened_world):
    from models import Brand

    call = _api(client, screened_world)
    body = f.campaign(id="c10", brief="Watch 5 minutes and ask the host a question.")
    db.session.get(Brand, body["brand_id"]).kyc_status = "suspended"
    db.session.commit()
    response = call("post", "/campaigns", body)
    assert response.status_code == 422 and "is suspended" in response.get_data(as_text=True)
    assert db.session.get(Campaign, "c10") is None and escrow_balances(["c10"]) == {}


def test_deceptive_campaign_waits_unfunded_and_takes_no_proofs(client, screened_world):
    call = _api(client, screened_world)
    brief = "Post a 5-star review and we'll refund your order in full. Don't mention it's sponsored."
    body = call("post", "/campaigns", f.campaign(id="c11", brief=brief)).get_json()
    assert body["status"] == "draft" and body["screening"]["status"] == "held"
    codes = {x["code"] for x in body["screening"]["findings"]}
    assert {"review.cashback", "disclosure.hidden"} <= codes
    assert all(x["matched"] in brief for x in body["screening"]["findings"])
    assert escrow_balances(["c11"]) == {}
    proof = call("post", "/proofs", f.proof(id="p50", campaign_id="c11"))
    assert proof.status_code == 422 and "c11 is draft" in proof.get_data(as_text=True)
    held = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action == "screening.held",
                                                         AuditEvent.object_id == "c11"))
    assert held.actor_label == "api:brand-portal"
    assert "c11" in [r.campaign.id for r in screening.waiting_queue()]


def test_live_campaign_edited_through_the_api_is_screened_again(client, screened_world, staff):
    call = _api(client, screened_world)
    body = call("patch", "/campaigns/c1", {"brief": "评论统一写“质量超好，强烈推荐”，记得不要说是任务"}).get_json()
    assert body["status"] == "draft" and body["screening"]["status"] == "held"
    assert db.session.get(Campaign, "c1").status == "draft"
    screening.decide("c1", "request_changes", "no scripted praise", staff("compliance"))
    db.session.commit()
    assert call("get", "/campaigns/c1").get_json()["screening"]["reason"] == "no scripted praise"
    fixed = call("patch", "/campaigns/c1", {"brief": "请如实评论"}).get_json()
    assert fixed["screening"]["status"] == "resubmitted" and fixed["status"] == "draft"

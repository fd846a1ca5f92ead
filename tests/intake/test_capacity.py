"""Completions beyond a campaign's cap or budget are refused at API intake, naming the campaign."""
from __future__ import annotations

import sqlalchemy as sa

from models import Campaign, Proof, db
from tests import factories as f


def test_proofs_beyond_the_cap_are_refused_with_a_reason(api):
    db.session.get(Campaign, "c1").max_completions = 2
    db.session.commit()
    assert api.post([f.proof(id="a", worker_id="w1"), f.proof(id="b", worker_id="w2")]).status_code == 202
    over = api.post(f.proof(id="c", worker_id="w3"))
    assert over.status_code == 422
    [entry] = over.get_json()["items"]
    assert entry["field"] == "campaign_id" and "full" in entry["problem"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Proof)) == 2


def test_a_repeat_of_a_stored_proof_is_not_counted_against_the_cap(api):
    db.session.get(Campaign, "c1").max_completions = 1
    db.session.commit()
    assert api.post(f.proof(id="a", worker_id="w1")).status_code == 202
    again = api.post(f.proof(id="a", worker_id="w1"))
    assert again.status_code == 202 and again.get_json()["items"][0]["status"] == "duplicate"


def test_budget_bounds_completions_too(api):
    campaign = db.session.get(Campaign, "c1")
    campaign.max_completions, campaign.budget_cents, campaign.reward_cents = None, 250, 100
    db.session.commit()
    response = api.post([f.proof(id=f"p{i}", worker_id=f"w{i}") for i in range(1, 4)])
    assert response.status_code == 422 and "budget" in response.get_json()["items"][0]["problem"]

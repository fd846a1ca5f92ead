"""Screening wired into campaigns: imports held, decisions, brief edits screened again, money gated."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.compliance.services import screening
from app.money.services.funding import escrow_balances
from models import AuditEvent, Campaign, CampaignScreening, IllegalTransition, Proof, db
from tests import factories as f
from tests.compliance.conftest import DECEPTIVE_BRIEF


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


def test_import_holds_deceptive_campaigns_keeps_their_proofs_and_funds_only_clean_ones(screened_world):
    output = screened_world()
    assert "1 held for compliance review" in output
    assert db.session.get(Campaign, "c1").status == "active"
    assert db.session.get(Campaign, "c2").status == "draft"
    assert db.session.get(Proof, "p2") is not None  # the held campaign's history is not lost
    assert escrow_balances(["c1", "c2"]) == {"c1": 100_000}
    latest = screening.latest(["c1", "c2"])
    assert latest["c1"].status == "clear" and latest["c1"].findings == []
    held = latest["c2"]
    assert held.status == "held" and held.trigger == "import" and held.worst_severity == "high"
    codes = {x["code"] for x in held.findings}
    assert {"review.template", "review.cashback", "disclosure.hidden"} <= codes
    assert all(x["matched"] in DECEPTIVE_BRIEF for x in held.findings)
    [event] = _audit("screening.held")
    assert event.object_id == "c2" and event.actor_label == "import"
    assert [r.campaign.id for r in screening.waiting_queue()] == ["c2"]


def test_reimport_does_not_screen_again(screened_world, runner, world):
    screened_world()
    runner.invoke(args=["import", str(world.directory), "--no-score"])
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CampaignScreening)) == 2


def test_approve_after_brief_change_activates_and_funds(screened_world, staff):
    screened_world()
    officer = staff("compliance")
    with pytest.raises(IllegalTransition, match="reason"):
        screening.decide("c2", "request_changes", "  ", officer)
    screening.decide("c2", "request_changes", "remove the cashback and the hiding", officer)
    assert screening.latest(["c2"])["c2"].status == "changes_requested"
    with pytest.raises(IllegalTransition, match="changes_requested"):
        screening.decide("c2", "approve", None, officer)
    still_bad = screening.edit_brief("c2", "好评返现", actor_label="brand")
    assert still_bad.status == "held" and still_bad.trigger == "edit"
    fixed = screening.edit_brief("c2", "进直播间真实评论你对新品的看法，本任务为品牌推广。", actor_label="brand")
    assert fixed.status == "resubmitted" and fixed.findings == []
    assert db.session.get(Campaign, "c2").status == "draft"  # still waiting for compliance
    screening.decide("c2", "approve", "brief fixed", officer)
    db.session.commit()
    assert db.session.get(Campaign, "c2").status == "active"
    assert escrow_balances(["c2"]) == {"c2": 100_000}
    [approved] = _audit("screening.approved")
    assert approved.actor_id == officer.id and approved.data["before"] == "resubmitted"
    assert screening.waiting_queue() == []


def test_reject_closes_and_needs_a_reason(screened_world, staff):
    screened_world()
    officer = staff("compliance")
    with pytest.raises(IllegalTransition):
        screening.decide("c2", "reject", None, officer)
    screening.decide("c2", "reject", "asks for fake praise", officer)
    assert db.session.get(Campaign, "c2").status == "closed"
    assert _audit("screening.rejected")[0].data["reason"] == "asks for fake praise"
    with pytest.raises(IllegalTransition):
        screening.decide("c2", "approve", None, officer)


def test_live_campaign_edited_into_deception_goes_back_to_draft(screened_world):
    screened_world()
    row = screening.edit_brief("c1", "Post a five-star review and we will send you cashback.", actor_label="brand")
    assert row.status == "held" and row.findings[0]["code"] == "review.cashback"
    assert db.session.get(Campaign, "c1").status == "draft"
    clean = screening.edit_brief("c2", "看直播", actor_label="brand")
    assert clean.status == "resubmitted"
    assert screening.edit_brief("c1", "看直播", actor_label="brand").status == "resubmitted"


def test_clean_edit_of_a_live_campaign_stays_live(screened_world):
    screened_world()
    row = screening.edit_brief("c1", "Watch ten minutes and ask the host a question.", actor_label="brand")
    assert row.status == "clear"
    assert db.session.get(Campaign, "c1").status == "active"
    assert _audit("campaign.brief_edited")[0].data["after"].startswith("Watch ten")


def test_reward_far_above_the_market_is_held(screened_world):
    screened_world(extra_campaigns=(f.campaign(id="c3", action="like", reward_cents=5000, brief="点赞"),))
    held = screening.latest(["c3"])["c3"]
    assert held.status == "held"
    assert [x["code"] for x in held.findings] == ["reward.above_market"]
    assert held.findings[0]["field"] == "reward_cents"

"""Publishing screening rules re-screens stored live and pending campaigns under them."""
from __future__ import annotations

import sqlalchemy as sa

from app.compliance.jobs import rescreen_campaigns
from app.compliance.services import rescreen, screening, screening_rules
from models import AuditEvent, Campaign, CampaignScreening, Task, db


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _draft_with_rule(user, code: str, pattern: str) -> int:  # noqa: ANN001
    draft = screening_rules.open_draft(user)
    screening_rules.save_rule(draft.version, {"code": code, "kind": "text", "severity": "medium", "enabled": True,
                                              "skip_if_negated": False, "title": {"en": code, "zh": code},
                                              "patterns": [pattern]}, user)
    db.session.commit()
    return draft.version


def _screenings(campaign_id: str) -> list[CampaignScreening]:
    return screening.history(campaign_id)


def test_publishing_a_rule_holds_live_campaigns_it_now_catches(screened_world, client, login):
    screened_world()
    user = login("compliance")
    assert db.session.get(Campaign, "c1").status == "active" and db.session.get(Campaign, "c2").status == "draft"
    held_before = _screenings("c2")
    version = _draft_with_rule(user, "brief.opinion_steering", "新品的看法")

    response = client.post(f"/compliance/screening/rules/{version}/publish", data={"submit": "1"},
                           follow_redirects=True)
    assert response.status_code == 200

    c1 = db.session.get(Campaign, "c1")
    assert c1.status == "draft"  # out of intake and settlement until compliance answers
    newest = _screenings("c1")[0]
    assert (newest.trigger, newest.status, newest.rule_set_version) == ("rescreen", "held", version)
    assert [f["code"] for f in newest.findings] == ["brief.opinion_steering"] and newest.findings[0]["matched"]
    assert "c1" in {row.campaign.id for row in screening.waiting_queue()}
    assert [e.object_id for e in _audit("screening.held") if e.data["trigger"] == "rescreen"] == ["c1"]
    # the waiting campaign's findings did not change: no new row, its place in the queue kept
    assert [s.id for s in _screenings("c2")] == [s.id for s in held_before]
    [summary] = _audit("screening.rescreened")
    assert summary.object_id == str(version) and summary.data["held"] == ["c1"] and summary.data["screened"] == 2
    task = db.session.scalars(sa.select(Task).where(Task.kind == "screening_rescreen")).one()
    assert task.status == "done" and task.done == task.total == 2

    rescreen_campaigns(version)  # twice: nothing more
    assert len(_screenings("c1")) == 2 and len(_audit("screening.held")) == 2


def test_an_approved_campaign_is_held_again_only_for_new_findings(screened_world, login):
    screened_world()
    user = login("compliance")
    screening.decide("c2", "approve", "brand explained the brief", user)
    db.session.commit()
    assert db.session.get(Campaign, "c2").status == "active"

    # a rule that changes nothing for c2: its approval stands
    version = _draft_with_rule(user, "brief.unrelated", "绝不会出现的词")
    screening_rules.publish(version, user)
    db.session.commit()
    result = rescreen.rescreen(version)
    assert result.held == [] and db.session.get(Campaign, "c2").status == "active"

    # a rule that finds something its approval did not see: back to the queue
    version = _draft_with_rule(user, "brief.hide_task", "不要说是任务")
    screening_rules.publish(version, user)
    db.session.commit()
    result = rescreen.rescreen(version)
    db.session.commit()
    assert result.held == ["c2"] and db.session.get(Campaign, "c2").status == "draft"
    assert "brief.hide_task" in {f["code"] for f in _screenings("c2")[0].findings}


def test_a_waiting_campaign_gets_its_findings_brought_up_to_date(screened_world, login):
    screened_world()
    user = login("compliance")
    version = _draft_with_rule(user, "brief.hide_task", "不要说是任务")
    screening_rules.publish(version, user)
    db.session.commit()
    result = rescreen.rescreen(version)
    db.session.commit()
    assert result.updated == ["c2"] and result.held == []
    newest = _screenings("c2")[0]
    assert newest.status == "held" and newest.trigger == "rescreen"
    assert "brief.hide_task" in {f["code"] for f in newest.findings}


def test_an_outdated_version_rescreens_nothing(screened_world, login):
    screened_world()
    user = login("compliance")
    first = _draft_with_rule(user, "brief.a", "新品的看法")
    screening_rules.publish(first, user)
    db.session.commit()
    second = _draft_with_rule(user, "brief.b", "直播间")
    screening_rules.publish(second, user)
    db.session.commit()
    assert rescreen.rescreen(first).screened == 0  # the newer publication re-screens under its own rules

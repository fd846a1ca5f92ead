"""The screening pages: who reaches them, the held-campaign flow, the rule editor (draft -> publish)."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from app.compliance.services import screening, screening_rules
from models import AuditEvent, Campaign, ScreeningRuleSet, db

PAGES = [("get", "/compliance/screening/"), ("get", "/compliance/screening/campaigns/c2"),
         ("post", "/compliance/screening/campaigns/c2/decide"), ("post", "/compliance/screening/campaigns/c2/brief"),
         ("get", "/compliance/screening/rules/"), ("post", "/compliance/screening/rules/draft"),
         ("get", "/compliance/screening/rules/1"), ("post", "/compliance/screening/rules/1/publish"),
         ("post", "/compliance/screening/rules/1/rules/review.cashback")]


def _audit(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize("role", ["moderator", "senior_moderator", "operator"])
@pytest.mark.parametrize(("method", "path"), PAGES)
def test_other_roles_get_403(client, screened_world, login, role, method, path):
    screened_world()
    login(role)
    response = getattr(client, method)(path, data={"approve": "1", "reason": "x", "brief": "ok"})
    assert response.status_code == 403
    assert db.session.get(Campaign, "c2").status == "draft"
    assert screening.latest(["c2"])["c2"].status == "held"


@pytest.mark.parametrize(("method", "path"), PAGES[:2])
def test_anonymous_is_sent_to_sign_in(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize("role", ["compliance", "admin"])
def test_compliance_and_admin_see_the_queue_with_quotes(client, screened_world, login, role):
    screened_world()
    login(role)
    page = client.get("/compliance/screening/").get_data(as_text=True)
    assert "c2" in page and "review.cashback" in page and "c1</a>" not in page
    detail = client.get("/compliance/screening/campaigns/c2").get_data(as_text=True)
    assert "好评后联系客服领红包" in detail and "不要说是任务" in detail


def test_request_changes_edit_and_approve_in_the_browser(client, screened_world, login):
    screened_world()
    login("compliance")
    refused = client.post("/compliance/screening/campaigns/c2/decide", data={"request_changes": "1", "reason": ""},
                          follow_redirects=True)
    assert "reason" in refused.get_data(as_text=True)
    assert screening.latest(["c2"])["c2"].status == "held"
    client.post("/compliance/screening/campaigns/c2/decide", data={"request_changes": "1", "reason": "no cashback"})
    assert screening.latest(["c2"])["c2"].status == "changes_requested"
    client.post("/compliance/screening/campaigns/c2/brief", data={"brief": "进直播间真实评论你对新品的看法"})
    assert screening.latest(["c2"])["c2"].status == "resubmitted"
    response = client.post("/compliance/screening/campaigns/c2/decide", data={"approve": "1", "reason": ""})
    assert response.status_code == 302
    assert db.session.get(Campaign, "c2").status == "active"
    assert _audit("screening.approved")[0].actor_label == "compliance@example.test"


def _rule_form(prefix: str, rule: dict, **changes: str) -> dict:
    data = {f"{prefix}-code": rule["code"], f"{prefix}-severity": rule["severity"], f"{prefix}-enabled": "y",
            f"{prefix}-skip_if_negated": "y", f"{prefix}-title_en": rule.get("title", {}).get("en", ""),
            f"{prefix}-patterns": "\n".join(rule.get("patterns", [])),
            f"{prefix}-unless": "\n".join(rule.get("unless", []))}
    data.update({f"{prefix}-{k}": v for k, v in changes.items()})
    return {k: v for k, v in data.items() if v is not None}


def test_rule_editor_draft_validate_diff_publish(client, app, login):
    login("compliance")
    assert "v1" in client.get("/compliance/screening/rules/").get_data(as_text=True)
    client.post("/compliance/screening/rules/draft", data={"submit": "1"})
    draft = screening_rules.current_draft()
    assert draft.version == 2
    cashback = next(r for r in draft.document["rules"] if r["code"] == "review.cashback")
    url = "/compliance/screening/rules/2/rules/review.cashback"

    bad = client.post(url, data=_rule_form("review.cashback", cashback, patterns="好评(返现\n返利"))
    assert bad.status_code == 422
    body = bad.get_data(as_text=True)
    assert 'data-field="patterns"' in body and "line 1" in body and "not a valid regular expression" in body
    assert screening_rules.get_version(2).document == screening_rules.active_rule_set().document

    ok = client.post(url, data=_rule_form("review.cashback", cashback, severity="medium", enabled=None,
                                          patterns="好评返现\n晒图返现"))
    assert ok.status_code == 302
    saved = next(r for r in screening_rules.get_version(2).document["rules"] if r["code"] == "review.cashback")
    assert saved["severity"] == "medium" and saved["enabled"] is False and saved["patterns"] == ["好评返现", "晒图返现"]

    new = client.post("/compliance/screening/rules/2/rules", data=_rule_form(
        "new", {"code": "brief.codeword", "severity": "low"}, patterns="暗号\\d+", skip_if_negated=None))
    assert new.status_code == 302
    duplicate = client.post("/compliance/screening/rules/2/rules", data=_rule_form(
        "new", {"code": "brief.codeword", "severity": "low"}, patterns="x+"))
    assert duplicate.status_code == 422 and "already a rule" in duplicate.get_data(as_text=True)

    page = client.get("/compliance/screening/rules/2").get_data(as_text=True)
    assert "brief.codeword" in page and "added" in page and "severity" in page and "changed" in page
    tried = client.post("/compliance/screening/rules/2/try", data={"text": "进群报暗号42"}).get_data(as_text=True)
    assert "brief.codeword" in tried and "暗号42" in tried

    client.post("/compliance/screening/rules/2/publish", data={"submit": "1"})
    versions = dict(db.session.execute(sa.select(ScreeningRuleSet.version, ScreeningRuleSet.status)).all())
    assert versions == {1: "retired", 2: "active"}
    [published] = _audit("screening.rules_published")
    assert published.data["replaces"] == 1
    assert {c["code"] for c in published.data["changes"]} == {"review.cashback", "brief.codeword"}
    # the published set screens from now on: cashback is disabled, the new rule runs
    assert client.post("/compliance/screening/rules/2/rules/review.cashback", data={}).status_code in (409, 422)
    row_codes = {f.code for f in screening.Screener.active().findings(
        screening.Subject(brief="好评返现，暗号7"))}
    assert row_codes == {"brief.codeword"}


def test_publishing_a_draft_that_changes_nothing_is_refused(client, login):
    login("compliance")
    client.post("/compliance/screening/rules/draft", data={"submit": "1"})
    response = client.post("/compliance/screening/rules/2/publish", data={"submit": "1"}, follow_redirects=True)
    assert "changes nothing" in response.get_data(as_text=True)
    assert screening_rules.active_rule_set().version == 1



def test_screening_catalogue_is_complete_and_keeps_placeholders():
    """Every screening string has its Chinese, with the same %(name)s placeholders."""
    import re

    from babel.messages.pofile import read_po

    with open("app/compliance/translations/zh_CN/LC_MESSAGES/messages.po", "rb") as handle:
        catalogue = [m for m in read_po(handle) if m.id]
    assert len(catalogue) > 50
    for message in catalogue:
        assert message.string and not message.fuzzy, message.id
        placeholders = re.compile(r"%\((\w+)\)s")
        assert sorted(placeholders.findall(message.id)) == sorted(placeholders.findall(message.string)), message.id


def test_reward_rule_is_edited_with_numbers_checked(client, login):
    login("admin")
    client.post("/compliance/screening/rules/draft", data={"submit": "1"})
    url = "/compliance/screening/rules/2/rules/reward.above_market"
    form = {"reward.above_market-code": "reward.above_market", "reward.above_market-severity": "medium",
            "reward.above_market-enabled": "y", "reward.above_market-factor": "0.5",
            "reward.above_market-high_factor": "", "reward.above_market-min_samples": "10"}
    bad = client.post(url, data=form)
    assert bad.status_code == 422 and 'data-field="factor"' in bad.get_data(as_text=True)
    assert client.post(url, data={**form, "reward.above_market-factor": "3"}).status_code == 302
    rule = next(r for r in screening_rules.get_version(2).document["rules"] if r["code"] == "reward.above_market")
    assert (rule["factor"], rule["min_samples"], "high_factor" in rule) == (3.0, 10, False)
    assert rule["typical_cents"]["like"] == 50  # what the form does not show is kept

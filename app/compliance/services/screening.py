"""Campaigns under screening: screen on creation and on every brief edit, hold what has findings,
and let compliance approve, request changes or reject.

A held campaign is a `draft` campaign: intake admits no completion to it, it is not funded and
settlement pays none of its proofs ("campaign not funded"), until compliance approves it, which
activates and funds it through money's funding service. A rejection closes it. Proofs imported
with a held campaign (its history) are kept: nothing already submitted is lost.

Screening states of a campaign (its newest `CampaignScreening` row):
  clear -> (brief edited) clear | held
  held | resubmitted -> approved | changes_requested | rejected; (brief edited) -> held | resubmitted
  changes_requested -> (brief edited) held | resubmitted; rejected
"""
from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa

from app.compliance.screening.engine import Finding, Subject, screen, worst
from app.compliance.services import screening_rules
from app.compliance.services.cases import SEVERITY_RANK, note_finding
from app.money.services.funding import activate_campaign, close_campaign
from app.platform.audit import record
from app.platform.i18n import _, _l
from models import (
    WAITING_STATES,
    Brand,
    Campaign,
    CampaignScreening,
    IllegalTransition,
    NotFound,
    Room,
    StaffUser,
    db,
    utcnow,
)

DECISIONS = {"approve": "approved", "request_changes": "changes_requested", "reject": "rejected"}
DECIDABLE = {"approve": ("held", "resubmitted"), "request_changes": ("held", "resubmitted"),
             "reject": ("held", "resubmitted", "changes_requested")}
REASON_REQUIRED = ("request_changes", "reject")
DECISION_VERBS = {"approve": _l("approve"), "request_changes": _l("request changes"), "reject": _l("reject")}


class ScreeningDecisionError(IllegalTransition):
    pass


def market_rewards(min_samples: int) -> dict[str, int]:
    """Median reward of each action over stored campaigns with at least `min_samples` of them."""
    by_action: dict[str, list[int]] = defaultdict(list)
    for action, cents in db.session.execute(sa.select(Campaign.action, Campaign.reward_cents)):
        by_action[action].append(cents)
    return {action: int(statistics.median(values)) for action, values in by_action.items()
            if len(values) >= min_samples}


@dataclass
class Screener:
    """The active rule set, compiled, with the market it compares rewards against."""

    version: int
    rules: object
    market: dict[str, int]

    @classmethod
    def active(cls) -> Screener:
        rule_set = screening_rules.active_rule_set()
        rules = screening_rules.compiled(rule_set)
        samples = min((r.min_samples for r in rules.reward_rules), default=0)
        return cls(rule_set.version, rules, market_rewards(samples) if rules.reward_rules else {})

    def findings(self, subject: Subject) -> list[Finding]:
        return screen(self.rules, subject, self.market)


def latest(campaign_ids: list[str]) -> dict[str, CampaignScreening]:
    """The newest screening of each campaign (campaigns never screened are absent)."""
    if not campaign_ids:
        return {}
    newest = (sa.select(sa.func.max(CampaignScreening.id)).where(CampaignScreening.campaign_id.in_(campaign_ids))
              .group_by(CampaignScreening.campaign_id))
    rows = db.session.scalars(sa.select(CampaignScreening).where(CampaignScreening.id.in_(newest)))
    return {row.campaign_id: row for row in rows}


def _subject(campaign: Campaign, category: str | None) -> Subject:
    return Subject(brief=campaign.brief, action=campaign.action, reward_cents=campaign.reward_cents,
                   room_category=category)


def _store(screener: Screener, campaign: Campaign, findings: list[Finding], trigger: str, status: str,
           actor: StaffUser | None, actor_label: str) -> CampaignScreening:
    row = CampaignScreening(campaign_id=campaign.id, rule_set_version=screener.version, trigger=trigger,
                            brief=campaign.brief, findings=[f.as_dict() for f in findings],
                            worst_severity=worst(findings), status=status)
    db.session.add(row)
    if status != "clear":
        record(f"screening.{status}", "campaign", campaign.id, actor=actor, actor_label=actor_label, data={
            "trigger": trigger, "rule_set_version": screener.version,
            "findings": [f"{f.code} {f.severity} {f.matched}" for f in findings]})
    if findings:  # a worse finding raises the priority of an open case on the campaign or its brand
        note_finding("campaign", campaign.id, source="screening", rank=SEVERITY_RANK.get(row.worst_severity, 0),
                     summary=", ".join(f"{f.code} {f.severity}" for f in findings), brand_id=campaign.brand_id)
    return row


def screen_new_campaigns(campaign_ids: list[str], *, trigger: str, actor_label: str = "system") -> list[str]:
    """Screen campaigns just created; those with findings are held (set to draft). Returns held ids."""
    if not campaign_ids:
        return []
    screener = Screener.active()
    held: list[str] = []
    for start in range(0, len(campaign_ids), 1000):
        chunk = campaign_ids[start:start + 1000]
        rows = db.session.execute(sa.select(Campaign, Room.category).join(Room, Room.id == Campaign.room_id)
                                  .where(Campaign.id.in_(chunk))).all()
        for campaign, category in rows:
            findings = screener.findings(_subject(campaign, category))
            if findings:
                if campaign.status == "active":
                    campaign.status = "draft"
                held.append(campaign.id)
            _store(screener, campaign, findings, trigger, "held" if findings else "clear", None, actor_label)
    db.session.flush()
    return held


def edit_brief(campaign_id: str, brief: str | None, *, actor: StaffUser | None = None,
               actor_label: str = "system", trigger: str = "edit") -> CampaignScreening:
    """Change a campaign's brief and screen it again; a live campaign with findings goes back to draft."""
    # locked: an officer's decision on the screening before waits, then finds this newer one (decide)
    campaign = db.session.get(Campaign, campaign_id, with_for_update=True, populate_existing=True)
    if campaign is None:
        raise NotFound(_("campaign %(id)s does not exist", id=campaign_id))
    if campaign.status == "closed":
        raise ScreeningDecisionError(_("campaign %(id)s is closed; its brief can no longer change", id=campaign_id))
    before = campaign.brief
    campaign.brief = brief
    record("campaign.brief_edited", "campaign", campaign_id, actor=actor, actor_label=actor_label,
           data={"before": before, "after": brief})
    previous = latest([campaign_id]).get(campaign_id)
    waiting = previous is not None and previous.status in WAITING_STATES
    screener = Screener.active()
    category = db.session.scalar(sa.select(Room.category).where(Room.id == campaign.room_id))
    findings = screener.findings(_subject(campaign, category))
    if findings:
        status = "held"
        if campaign.status == "active":
            campaign.status = "draft"
    else:
        status = "resubmitted" if waiting else "clear"
    row = _store(screener, campaign, findings, trigger, status, actor, actor_label)
    db.session.flush()
    return row


def decide(campaign_id: str, decision: str, reason: str | None, actor: StaffUser) -> CampaignScreening:
    """Compliance's answer to a waiting campaign: approve (goes live, funded), request changes, reject."""
    if decision not in DECISIONS:
        raise ScreeningDecisionError(_("decision must be one of %(decisions)s", decisions=", ".join(DECISIONS)))
    reason = (reason or "").strip() or None
    if decision in REASON_REQUIRED and not reason:
        raise ScreeningDecisionError(_("reason: a reason is required to request changes or reject"))
    # Two officers answering at once, or a brief edited meanwhile (edit_brief): the campaign's lock makes
    # this wait, and the screening read after it is the newest, with the first answer on it.
    db.session.execute(sa.select(Campaign.id).where(Campaign.id == campaign_id).with_for_update())
    current = latest([campaign_id]).get(campaign_id)
    if current is None:
        raise NotFound(_("campaign %(id)s was never screened", id=campaign_id))
    current = db.session.get(CampaignScreening, current.id, with_for_update=True, populate_existing=True)
    if current.status not in DECIDABLE[decision]:
        raise ScreeningDecisionError(_("campaign %(id)s is %(status)s; cannot %(decision)s", id=campaign_id,
                                       status=current.status, decision=DECISION_VERBS[decision]))
    before = current.status
    current.status = DECISIONS[decision]
    current.decided_by = actor.id
    current.decided_at = utcnow()
    current.reason = reason
    db.session.flush()
    record(f"screening.{current.status}", "campaign", campaign_id, actor=actor,
           data={"before": before, "after": current.status, "reason": reason, "screening_id": current.id})
    if decision == "approve":
        activate_campaign(campaign_id, actor=actor)
    elif decision == "reject":
        close_campaign(campaign_id, actor=actor)
    return current


@dataclass
class QueueRow:
    screening: CampaignScreening
    campaign: Campaign
    brand_name: str


def waiting_queue(limit: int = 200) -> list[QueueRow]:
    """Campaigns waiting on compliance (newest screening held / resubmitted / changes requested), worst first."""
    newest = sa.select(sa.func.max(CampaignScreening.id)).group_by(CampaignScreening.campaign_id)
    severity = sa.case({"high": 3, "medium": 2, "low": 1}, value=CampaignScreening.worst_severity, else_=0)
    rows = db.session.execute(
        sa.select(CampaignScreening, Campaign, Brand.name)
        .join(Campaign, Campaign.id == CampaignScreening.campaign_id).join(Brand, Brand.id == Campaign.brand_id)
        .where(CampaignScreening.id.in_(newest), CampaignScreening.status.in_(WAITING_STATES))
        .order_by(severity.desc(), CampaignScreening.id).limit(limit)).all()
    return [QueueRow(s, c, name) for s, c, name in rows]


def history(campaign_id: str) -> list[CampaignScreening]:
    return list(db.session.scalars(sa.select(CampaignScreening).where(CampaignScreening.campaign_id == campaign_id)
                                   .order_by(CampaignScreening.id.desc())))

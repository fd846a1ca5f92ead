"""Re-screening stored campaigns when compliance publishes a new screening rule set.

A new rule may catch a brief that went live under the old ones: every live (`active`) and pending
(`draft`) campaign is screened again under the published version, and one that now has findings is
held like a new campaign (a live one goes back to draft, out of intake and settlement, and waits in
the compliance queue). What compliance has already answered is respected:
- a campaign compliance approved is held again only for findings its approval did not see;
- a campaign already waiting keeps its place and state; its findings are brought up to date;
- nothing is written for a campaign whose answer did not change (no row for "still clear").
Campaigns already screened under the version are skipped, so the job can run twice.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from app.compliance.screening.engine import Finding
from app.compliance.services.screening import Screener, _store, _subject, latest
from app.platform.i18n import stated
from models import WAITING_STATES, Campaign, CampaignScreening, Room, Task, db

TRIGGER = "rescreen"
RESCREENED_STATES = ("active", "draft")
BATCH = 500


@dataclass
class RescreenResult:
    version: int
    screened: int = 0
    held: list[str] = field(default_factory=list)  # newly held (live ones went back to draft)
    updated: list[str] = field(default_factory=list)  # already waiting, findings changed


def _keys(findings: list[dict] | list[Finding]) -> set[tuple[str, str]]:
    return {(f["code"], f["matched"]) if isinstance(f, dict) else (f.code, f.matched) for f in findings}


def start_task(version: int) -> Task:
    """The Task a re-screen reports its progress to (flushed); the caller commits, then enqueues."""
    task = Task(kind="screening_rescreen", status="queued", done=0, total=100,
                message=stated("re-screen campaigns under screening rules v%(version)s", version=version))
    db.session.add(task)
    db.session.flush()
    return task


def targets(version: int) -> list[str]:
    """Live and pending campaigns not yet screened under `version`."""
    done = sa.select(CampaignScreening.campaign_id).where(CampaignScreening.rule_set_version == version,
                                                          CampaignScreening.trigger == TRIGGER)
    return list(db.session.scalars(sa.select(Campaign.id).where(Campaign.status.in_(RESCREENED_STATES),
                                                                Campaign.id.not_in(done)).order_by(Campaign.id)))


def rescreen(version: int, progress: Callable[[int, int], None] | None = None) -> RescreenResult:
    """Screen live and pending campaigns under the active set if it is `version` (flushes per batch;
    `progress(done, total)` is called after each, where a job commits)."""
    screener = Screener.active()
    result = RescreenResult(version)
    if screener.version != version:  # a newer publication queued its own re-screen
        return result
    ids = targets(version)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start:start + BATCH]
        previous = latest(chunk)
        rows = db.session.execute(sa.select(Campaign, Room.category).join(Room, Room.id == Campaign.room_id)
                                  .where(Campaign.id.in_(chunk))).all()
        for campaign, category in rows:
            _rescreen_one(screener, campaign, screener.findings(_subject(campaign, category)),
                          previous.get(campaign.id), result)
            result.screened += 1
        db.session.flush()
        if progress:
            progress(min(start + BATCH, len(ids)), len(ids))
    return result


def _rescreen_one(screener: Screener, campaign: Campaign, findings: list[Finding],
                  previous: CampaignScreening | None, result: RescreenResult) -> None:
    if previous is not None and previous.status in WAITING_STATES:
        if _keys(findings) != _keys(previous.findings or []):
            _store(screener, campaign, findings, TRIGGER, previous.status, None, "system")
            result.updated.append(campaign.id)
        return
    if not findings:
        if previous is None:
            _store(screener, campaign, findings, TRIGGER, "clear", None, "system")
        return
    if previous is not None and previous.status == "approved" and _keys(findings) <= _keys(previous.findings or []):
        return  # compliance approved the campaign knowing these findings
    if campaign.status == "active":
        campaign.status = "draft"
    _store(screener, campaign, findings, TRIGGER, "held", None, "system")
    result.held.append(campaign.id)

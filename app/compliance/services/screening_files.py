"""Screening briefs from a file for automation (`flask compliance screen FILE`)."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from statistics import median

import sqlalchemy as sa

from app.compliance.screening.engine import Finding, screen
from app.compliance.screening.loaders import Item, read_items
from app.compliance.screening.ruleset import compile_rules, default_document
from app.compliance.services.screening import Screener
from app.intake.services.records import parse_campaign
from models import db


@dataclass
class FileResult:
    findings: list[tuple[int, Finding]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "LINE: field: problem"
    screened: int = 0
    rule_set: str = ""


def _screener() -> Screener:
    """The active rule set; the shipped defaults when the database has no schema yet (a bare checkout)."""
    try:
        return Screener.active()
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        rules = compile_rules(default_document())
        return Screener(0, rules, {})


def screen_file(path: Path, default_commission: float) -> FileResult:
    items: list[Item] = list(read_items(path, lambda obj: parse_campaign(obj, default_commission)))
    screener = _screener()
    result = FileResult(rule_set=f"version {screener.version}" if screener.version else "defaults")
    # The market: stored campaigns, with this file's own campaigns counted in.
    samples = min((r.min_samples for r in screener.rules.reward_rules), default=0)
    rewards: dict[str, list[int]] = defaultdict(list)
    for item in items:
        if item.subject is not None and item.subject.action and item.subject.reward_cents:
            rewards[item.subject.action].append(item.subject.reward_cents)
    market = dict(screener.market)
    for action, values in rewards.items():
        if action not in market and len(values) >= samples:
            market[action] = int(median(values))
    for item in items:
        if item.error is not None:
            result.errors.append(f"{item.line}: {item.error}")
            continue
        result.screened += 1
        result.findings.extend((item.line, f) for f in screen(screener.rules, item.subject, market))
    return result

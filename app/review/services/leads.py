"""Leads' numbers: what waits and for how long, and how each moderator decides (speed, volume,
agreement with QA re-checks, with appeals, and reversals). Grouped queries over indexed columns; nothing writes."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

import sqlalchemy as sa

from app.review.services.queue import PENDING, TABS
from models import Appeal, AuditEvent, QaCheck, ReviewDecision, ReviewItem, StaffUser, db

DECIDE_SAMPLE = 20_000  # newest human decisions read for the time-to-decide medians


@dataclass
class QueueNow:
    queue: str
    pending: int
    oldest_seconds: float | None


@dataclass
class ModeratorStats:
    name: str
    decisions: int = 0
    approved: int = 0
    rejected: int = 0
    escalated: int = 0
    per_hour: float = 0.0
    median_decide_seconds: float | None = None
    appealed: int = 0
    upheld: int = 0
    reversed: int = 0
    qa_checked: int = 0  # this moderator's decisions drawn for QA and re-checked in the window
    qa_agreed: int = 0

    @property
    def stood(self) -> int:
        """Appealed decisions the appeal left standing."""
        return self.appealed - self.upheld

    @property
    def appeal_agreement(self) -> float | None:
        """Share of this moderator's appealed rejections that the appeal confirmed."""
        return None if not self.appealed else self.stood / self.appealed

    @property
    def qa_agreement(self) -> float | None:
        """Share of this moderator's re-checked decisions the QA check agreed with."""
        return None if not self.qa_checked else self.qa_agreed / self.qa_checked


def queues_now(now: datetime) -> list[QueueNow]:
    rows = dict((q, (n, oldest)) for q, n, oldest in db.session.execute(
        sa.select(ReviewItem.queue, sa.func.count(), sa.func.min(ReviewItem.created_at))
        .where(ReviewItem.status.in_(PENDING)).group_by(ReviewItem.queue)))
    out = []
    for queue in TABS:
        n, oldest = rows.get(queue, (0, None))
        out.append(QueueNow(queue, n, (now - oldest).total_seconds() if oldest else None))
    return out


def decisions_by_hour(now: datetime, hours: int = 24) -> list[int]:
    """Human decisions in each of the last `hours` hours, oldest first."""
    since = now - timedelta(hours=hours)
    counts = [0] * hours
    for (at,) in db.session.execute(sa.select(ReviewDecision.decided_at).where(
            ReviewDecision.actor_kind == "human", ReviewDecision.decided_at >= since)):
        counts[min(hours - 1, int((at - since).total_seconds() // 3600))] += 1
    return counts


def moderators(now: datetime, days: int = 7) -> list[ModeratorStats]:
    """Per moderator over the last `days`: volume, rate, median time to decide, appeals and reversals."""
    since = now - timedelta(days=days)
    stats: dict[int, ModeratorStats] = {}
    names = dict(db.session.execute(sa.select(StaffUser.id, StaffUser.name)).all())

    def of(actor: int) -> ModeratorStats:
        return stats.setdefault(actor, ModeratorStats(names.get(actor, str(actor))))

    hours: dict[int, set] = defaultdict(set)
    waits: dict[int, list[float]] = defaultdict(list)
    for actor, decision, decided_at, created_at in db.session.execute(
            sa.select(ReviewDecision.actor_id, ReviewDecision.decision, ReviewDecision.decided_at,
                      ReviewItem.created_at).outerjoin(ReviewItem, ReviewItem.proof_id == ReviewDecision.proof_id)
            .where(ReviewDecision.actor_kind == "human", ReviewDecision.decided_at >= since)
            .order_by(ReviewDecision.decided_at.desc()).limit(DECIDE_SAMPLE)):
        row = of(actor)
        row.decisions += 1
        setattr(row, decision, getattr(row, decision) + 1)
        hours[actor].add(decided_at.replace(minute=0, second=0, microsecond=0))
        if created_at is not None:
            waits[actor].append(max(0.0, (decided_at - created_at).total_seconds()))
    for actor, row in stats.items():
        row.per_hour = row.decisions / max(1, len(hours[actor]))  # per hour actually spent deciding
        row.median_decide_seconds = median(waits[actor]) if waits[actor] else None
    for actor, status in db.session.execute(
            sa.select(ReviewDecision.actor_id, Appeal.status)
            .join(Appeal, Appeal.appealed_decision_id == ReviewDecision.id)
            .where(Appeal.status != "open", ReviewDecision.actor_id.is_not(None))):
        row = of(actor)
        row.appealed += 1
        row.upheld += status == "upheld"
    for actor, checked, agreed in db.session.execute(
            sa.select(QaCheck.decided_by, sa.func.count(), sa.func.sum(sa.case((QaCheck.agreed, 1), else_=0)))
            .where(QaCheck.decided_by.is_not(None), QaCheck.checked_at >= since).group_by(QaCheck.decided_by)):
        row = of(actor)
        row.qa_checked, row.qa_agreed = checked, int(agreed or 0)
    for (data,) in db.session.execute(sa.select(AuditEvent.data).where(
            AuditEvent.action == "proof.reversed", AuditEvent.at >= since)):
        decision = db.session.get(ReviewDecision, (data or {}).get("reversed_decision") or 0)
        if decision is not None and decision.actor_id is not None:
            of(decision.actor_id).reversed += 1
    return sorted(stats.values(), key=lambda s: (-s.decisions, s.name))

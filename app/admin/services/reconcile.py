"""What the database says is owed but no queue may hold any more: the reconciler's reading.

The queue is a hint, the database is the truth. A proof accepted more than a grace period ago and
still `received` without a score has lost its scoring job (Redis flushed or restarted without
persistence, a worker killed mid-job); an approved proof past its hold window still `approved`
has lost its settlement run; a waiting proof scored by versions no longer active, with no rescore
task under way, has lost its rescore; a waiting proof scored under a mute that has ended since is
owed one (app/scoring/services/relief.py). All are read from the tables alone, so the reconciler heals them
however the jobs were lost. Nothing here commits or queues.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.admin.services.settings import RECONCILE_GRACE_MINUTES, current
from app.money.services.settlement import eligible_query
from app.scoring.jobs import RESCORE_TASK_KIND
from app.scoring.services.relief import ended_relief_ids
from app.scoring.services.staleness import active_versions, any_stale
from models import AuditEvent, Proof, ProofScore, ProofState, Task, db


@dataclass(frozen=True)
class Backlog:
    unscored: int  # accepted, still unscored after the grace period
    settleable: bool  # at least one approved proof may settle now
    stale: bool = False  # a score older than the active versions waits, and no rescore task is under way
    relieved: bool = False  # a waiting proof was scored under a mute that has ended since

    @property
    def empty(self) -> bool:
        return not self.unscored and not self.settleable and not self.stale and not self.relieved


def grace_cutoff(now: datetime, grace_minutes: int | None = None) -> datetime:
    """Proofs accepted before this are owed a score; `grace_minutes` overrides the setting (0 after an
    outage, when whoever runs it knows no queued job is still coming)."""
    return now - timedelta(minutes=current(RECONCILE_GRACE_MINUTES) if grace_minutes is None else grace_minutes)


def _unscored(cutoff: datetime) -> sa.Select:
    no_score = ~sa.exists().where(ProofScore.proof_id == Proof.id)
    return (sa.select(Proof.id).where(Proof.state == ProofState.RECEIVED.value, Proof.ingested_at < cutoff, no_score)
            .order_by(Proof.id))


def unscored_ids(cutoff: datetime, *, limit: int, after: str | None = None) -> list[str]:
    """Up to `limit` ids of accepted proofs ingested before `cutoff` that have no score, above `after`."""
    query = _unscored(cutoff).limit(limit)
    if after is not None:
        query = query.where(Proof.id > after)
    return list(db.session.scalars(query))


def backlog(now: datetime, hold_hours: int, grace_minutes: int | None = None) -> Backlog:
    unscored = db.session.scalar(sa.select(sa.func.count()).select_from(
        _unscored(grace_cutoff(now, grace_minutes)).subquery()))
    settleable = db.session.execute(eligible_query(now, hold_hours).limit(1)).first() is not None
    return Backlog(unscored=unscored or 0, settleable=settleable, stale=_stale_unattended(now, hold_hours),
                   relieved=bool(ended_relief_ids(now, hold_hours, limit=1)))


ACTIVATIONS = ("ruleset.published", "ruleset.rolled_back", "model.promoted")
RESCORE_RETRIES = 3  # failed rescores of one activation before the reconciler leaves it to a person


def _stale_unattended(now: datetime, hold_hours: int) -> bool:
    """Stale scores wait and the newest activation (a publication, rollback or promotion) has no
    rescore that ran to its end or is under way: it was never queued, or it failed (at most
    RESCORE_RETRIES times: then the failed tasks say why, and a person decides). What a finished
    rescore could not bring up to date (a score made while the model was unusable) is left alone."""
    since = db.session.scalar(sa.select(sa.func.max(AuditEvent.at)).where(AuditEvent.action.in_(ACTIVATIONS)))
    tasks = sa.select(Task.status, sa.func.count()).where(Task.kind == RESCORE_TASK_KIND).group_by(Task.status)
    if since is not None:
        tasks = tasks.where(Task.created_at >= since)
    counts = dict(db.session.execute(tasks).all())
    if counts.get("queued") or counts.get("running") or counts.get("done") or \
            counts.get("failed", 0) >= RESCORE_RETRIES:
        return False
    return any_stale(active_versions(), now, hold_hours)

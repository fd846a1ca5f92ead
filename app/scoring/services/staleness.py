"""Stale scores: a score made by a rule set or model that is no longer the active one, on a proof
that still waits for a final decision.

Waiting means: in the review queue (`scored`, `in_review`), or approved by policy and still inside
the settlement hold window with nobody having confirmed that approval in QA. Human, imported and
settled decisions are final: a new model never changes them silently.

`stale_ids` is the truth of what is left to rescore; it is read from the database every time, so
a rescoring run that was killed, or a Redis that lost its queue, leaves nothing behind that the
next run (or `flask score`) would not find.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.review.services.queue import QA_CONFIRMED
from app.scoring.services.models_registry import active_version
from app.scoring.services.rulesets import active_ruleset
from models import AuditEvent, Proof, ProofScore, ProofState, ReviewDecision, db

WAITING_STATES = (ProofState.SCORED.value, ProofState.IN_REVIEW.value)


@dataclass(frozen=True)
class ActiveVersions:
    """What a current score is made of: the active rule set's version and model version (None: rules alone)."""

    ruleset: int | None  # None before any rule set exists (nothing was scored yet)
    model: str | None


@dataclass(frozen=True)
class ScoreOrigin:
    """Where one stored score came from, for the proof page."""

    ruleset: int | None
    model: str | None
    active: ActiveVersions

    @property
    def outdated(self) -> bool:
        return self.ruleset != self.active.ruleset or self.model != self.active.model


def active_versions() -> ActiveVersions:
    """The versions a score made now would carry. Reads only (a GET shows it)."""
    rules, model = active_ruleset(), active_version()
    return ActiveVersions(ruleset=rules.version if rules else None, model=model.version if model else None)


def score_origin(score: ProofScore) -> ScoreOrigin:
    return ScoreOrigin(ruleset=score.ruleset_version, model=score.model_version, active=active_versions())


def policy_approval_in_hold(proofs: sa.Table, cutoff: datetime) -> sa.ColumnElement[bool]:
    """SQL: the proof is approved by policy after `cutoff`, no person decided it since, nobody confirmed it in QA."""
    decisions = ReviewDecision.__table__
    audit = AuditEvent.__table__
    by_policy = sa.exists().where(decisions.c.proof_id == proofs.c.id, decisions.c.actor_kind == "system",
                                  decisions.c.decision == "approved", decisions.c.decided_at > cutoff)
    by_person = sa.exists().where(decisions.c.proof_id == proofs.c.id, decisions.c.actor_kind != "system")
    confirmed = sa.exists().where(audit.c.object_type == "proof", audit.c.object_id == proofs.c.id,
                                  audit.c.action == QA_CONFIRMED)
    return sa.and_(proofs.c.state == ProofState.APPROVED.value, by_policy, ~by_person, ~confirmed)


def _stale_query(columns: list, versions: ActiveVersions, now: datetime, hold_hours: int) -> sa.Select:
    proofs, scores = Proof.__table__, ProofScore.__table__
    outdated = sa.or_(scores.c.ruleset_version.is_distinct_from(versions.ruleset),
                      scores.c.model_version.is_distinct_from(versions.model))
    waiting = sa.or_(proofs.c.state.in_(WAITING_STATES),
                     policy_approval_in_hold(proofs, now - timedelta(hours=hold_hours)))
    return sa.select(*columns).select_from(proofs.join(scores, scores.c.proof_id == proofs.c.id)) \
        .where(outdated, waiting)


def stale_ids(versions: ActiveVersions, now: datetime, hold_hours: int) -> list[str]:
    """Every proof whose score is stale against `versions`, in id order."""
    query = _stale_query([Proof.__table__.c.id], versions, now, hold_hours).order_by(Proof.__table__.c.id)
    return list(db.session.scalars(query))


def any_stale(versions: ActiveVersions, now: datetime, hold_hours: int) -> bool:
    return db.session.execute(_stale_query([Proof.__table__.c.id], versions, now, hold_hours).limit(1)).first() \
        is not None


def stale_count(versions: ActiveVersions, now: datetime, hold_hours: int) -> int:
    query = _stale_query([sa.func.count()], versions, now, hold_hours)
    return int(db.session.scalar(query) or 0)


"""Scoring: compute risk for proofs, store the score, and route each proof into the review gate.

`compute_scores` builds the evidence context, evaluates the active rule set (review_rules) and
combines it with the model hook; everything else here is persistence and routing, done in bulk
so a batch of 100k proofs never issues a query per proof.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask import current_app

from app.platform.audit import record
from app.platform.bulk import insert_ignoring_conflicts, upsert
from app.platform.sql import among, per_dialect
from app.review.services.decisions import ensure_item
from app.review.services.priority import rekey
from app.scoring.services.context import build_context, load_all_context
from app.scoring.services.model_scoring import active_model_outcome, combine_as_scoring, explanations
from app.scoring.services.models_registry import load_active
from app.scoring.services.mutes import relieve
from app.scoring.services.rerouting import ROUTE_QUEUE, Scored, approve_by_policy, reroute
from app.scoring.services.rulesets import load_active_rules
from app.scoring.services.staleness import active_versions, stale_ids
from ml.predict import predict_proba
from models import FraudFlag, Proof, ProofScore, ProofState, ReviewItem, db, utcnow
from review_rules.context import ScoringContext
from review_rules.engine import evaluate
from review_rules.reasons import novelty_reason

SCORE_COLUMNS = ("proof_id", "risk_score", "rule_score", "model_score", "route", "reasons", "signals",
                 "explanation", "ruleset_version", "model_version", "degraded")


@dataclass
class ScoreSummary:
    scored: int = 0
    routes: dict[str, int] | None = None
    auto_approved: int = 0
    pulled_back: int = 0


def compute_scores(proof_ids: list[str], context: ScoringContext | None = None) -> pd.DataFrame:
    """Score proofs with the active rule set (and the model, once plugged in): one row per stored proof.

    `context` lets a caller that already loaded the evidence (full batch scoring) skip the
    database lookups; otherwise the targets and their history are read for this batch.
    """
    rules = load_active_rules()
    if context is None:
        context = build_context(proof_ids, **rules.config["context"])
    output = relieve(evaluate(context, rules.config), context, rules.config)  # entity-level mutes, before the model
    model = active_model_outcome(output)  # cold start, model, or degraded (app/scoring/services/model_scoring.py)
    combined = combine_as_scoring(output, model, rules.config)
    wanted = [pid for pid in dict.fromkeys(proof_ids) if pid in combined.index]
    # Arrays by position rather than label-aligned Series: online, one proof pays every call's overhead.
    at = combined.index.get_indexer(wanted)
    routes = combined["route"].to_numpy()[at]
    model_scores = combined["model_score"].to_numpy(dtype=float)[at]
    signals = output.reasons.to_numpy()[output.reasons.index.get_indexer(wanted)]
    if model.novel is not None and model.novel.any():
        signals = _with_novelty(signals, model.novel[output.rule_score.index.get_indexer(wanted)], routes)
    return pd.DataFrame({
        "proof_id": wanted,
        "risk_score": combined["risk_score"].to_numpy(dtype=float)[at],
        "rule_score": combined["rule_score"].to_numpy(dtype=float)[at],
        "model_score": [None if np.isnan(m) else float(m) for m in model_scores],
        "route": routes,
        "reasons": [";".join(s["code"] for s in listed if "muted" not in s) for listed in signals],
        "signals": list(signals),
        "explanation": explanations(model, pd.Series(routes, index=wanted)).to_list(),
        "ruleset_version": rules.version,
        "model_version": model.version,
        "degraded": bool(model.degraded),
    })


NOVEL = "model.novel"  # not a rule signal: the model's note that the rules' reading stood


def _with_novelty(signals: np.ndarray, novel: np.ndarray, routes: np.ndarray) -> np.ndarray:
    """Name the novelty floor among the reasons of the novel proofs a person will read."""
    out = signals.copy()
    for k in np.flatnonzero(novel & (routes != "auto_approve")).tolist():
        out[k] = [*out[k], {"code": NOVEL, "score": 1.0, "reason": novelty_reason()}]
    return out


def warm_scoring() -> str:
    """Load the active rule set and model into this process's caches (and make one prediction, which
    settles how the model is called) before any proof waits for them; what was loaded, in words.
    Writes nothing: the caller's session is rolled back."""
    try:
        rules = load_active_rules()
        model = load_active(Path(current_app.config["MODEL_DIR"]))
        if model.bundle is not None:
            bundle = model.bundle
            predict_proba(bundle, pd.DataFrame([bundle.medians], columns=bundle.feature_names, dtype=float))
    finally:
        db.session.rollback()
    found = "no model (rules alone)" if model.cold_start else \
        f"model {model.row.version}" + ("" if model.bundle is not None else f" unusable: {model.error}")
    return f"rule set {rules.version}, {found}"


def unscored_ids(rescore: bool = False) -> list[str]:
    query = sa.select(Proof.id).order_by(Proof.id)
    if not rescore:
        query = query.outerjoin(ProofScore, ProofScore.proof_id == Proof.id).where(ProofScore.proof_id.is_(None))
    return list(db.session.scalars(query))


FULL_CONTEXT_FROM = 20_000  # from this many targets, one load of every proof beats per-batch lookups


def score_proofs(proof_ids: list[str], batch_size: int = 5000, progress: Callable[[int], None] | None = None,
                 full_context_from: int = FULL_CONTEXT_FROM) -> ScoreSummary:
    """Score and route the given proofs batch by batch; the caller commits.

    Large runs evaluate every target against one full context (rings and bursts are seen whole
    and the evidence is read once); small ones read each batch's own history.
    """
    summary = ScoreSummary(routes={})
    context = load_all_context(target_ids=proof_ids) if len(proof_ids) >= full_context_from else None
    everything = compute_scores(proof_ids, context=context) if context is not None else None
    for start in range(0, len(proof_ids), batch_size):
        chunk = proof_ids[start:start + batch_size]
        scores = compute_scores(chunk) if everything is None else everything.iloc[start:start + batch_size]
        store_scores(scores)
        routed = route_proofs(scores)
        summary.auto_approved += routed.auto_approved
        summary.pulled_back += routed.pulled_back
        summary.scored += len(scores)
        for route in scores["route"].to_list():
            summary.routes[route] = summary.routes.get(route, 0) + 1
        db.session.flush()
        if progress:
            progress(len(chunk))
    return summary


@dataclass
class RescoreRun:
    rescored: int = 0
    rounds: int = 0
    pulled_back: int = 0
    auto_approved: int = 0


def rescore_stale(batch_size: int, progress: Callable[[int], None] | None = None,
                  max_rounds: int = 3) -> RescoreRun:
    """Rescore every proof whose score is stale (app/scoring/services/staleness.py); `progress`
    runs after each batch (the caller commits there, so a killed run keeps its finished batches).

    Staleness is read again after each round: a model promoted while a round ran makes the proofs
    that round already finished stale once more, and the next round takes them.
    """
    run = RescoreRun()
    hold_hours = current_app.config["SETTLEMENT_HOLD_HOURS"]
    while run.rounds < max_rounds:
        ids = stale_ids(active_versions(), utcnow(), hold_hours)
        if not ids:
            break
        run.rounds += 1
        summary = score_proofs(ids, batch_size=batch_size, progress=progress)
        run.rescored += summary.scored
        run.pulled_back += summary.pulled_back
        run.auto_approved += summary.auto_approved
    return run


def store_scores(scores: pd.DataFrame) -> None:
    """Store the score of each proof in `scores`, replacing the one it had."""
    now = utcnow()
    records = [{column: _stored(value) for column, value in zip(SCORE_COLUMNS, values, strict=True)}
               for values in zip(*(scores[c].to_list() for c in SCORE_COLUMNS), strict=True)]
    for row in records:
        row["scored_at"] = now
        row["degraded"] = bool(row["degraded"])
        row["risk_score"] = float(row["risk_score"])
    upsert(ProofScore.__table__, records, key="proof_id")


def _stored(value: object) -> object:
    """A frame cell as the database takes it: NaN is NULL, numpy scalars are Python numbers."""
    if isinstance(value, float | np.floating):
        return None if value != value else float(value)
    return value.item() if isinstance(value, np.generic) else value


def route_proofs(scores: pd.DataFrame) -> Routed:
    """Queue every newly scored proof and approve by policy the low-risk ones; rescored proofs follow
    their new score (app/scoring/services/rerouting.py).

    Fresh proofs take the legal path received -> scored -> in_review (-> approved by a system
    decision) in one bulk update, which also claims them: of two scorings of one proof at once,
    only the one whose update moved it queues it (and approves it), the other finds it moved.
    """
    now = utcnow()
    scored = [Scored(pid, route, float(risk), bool(degraded)) for pid, route, risk, degraded in zip(
        scores["proof_id"].to_list(), scores["route"].to_list(), scores["risk_score"].to_list(),
        scores["degraded"].to_list(), strict=True)]
    approve, review = [], []
    flagged = _flagged_among([s.proof_id for s in scored if s.route == "auto_approve"])
    for s in scored:
        # a proof a fraud flag names is a person's to decide, whatever its score
        (approve if s.route == "auto_approve" and not s.degraded and s.proof_id not in flagged
         else review).append(s.proof_id)
    campaigns = {}  # proof id -> campaign, of the fresh proofs this call moved
    for new_state, ids in ((ProofState.APPROVED.value, approve), (ProofState.IN_REVIEW.value, review)):
        for start in range(0, len(ids), 900):
            campaigns.update(db.session.execute(_claim_fresh(), {
                "ids": ids[start:start + 900], "new_state": new_state, "now": now}).all())
    auto_ids = sorted(pid for pid in approve if pid in campaigns)
    auto = set(auto_ids)
    if campaigns:
        insert_ignoring_conflicts(ReviewItem.__table__, [{
            "proof_id": s.proof_id, "campaign_id": campaigns[s.proof_id],
            "queue": "review" if s.route == "auto_approve" and s.proof_id not in auto else ROUTE_QUEUE[s.route],
            "priority": s.risk, "status": "decided" if s.proof_id in auto else "open", "created_at": now,
            "updated_at": now,
        } for s in scored if s.proof_id in campaigns], key="proof_id")
    approve_by_policy(auto_ids, now)
    rescored = reroute([s for s in scored if s.proof_id not in campaigns], now)
    rekey([s.proof_id for s in scored])  # queued or moved items take their place in the queue's order
    return Routed(len(auto_ids) + len(rescored.auto_approved), len(rescored.pulled_back))


@dataclass(frozen=True)
class Routed:
    auto_approved: int  # approved by policy now (fresh or rescored)
    pulled_back: int  # policy approvals sent back to review before they settled


WAITING = (ProofState.RECEIVED.value, ProofState.SCORED.value)


def set_aside_unscorable(proof_id: str, error: str) -> bool:
    """A received proof scoring fails on by itself (its batch was split down to it): into the hold
    queue for a person, unscored, with an audit row saying why, so it neither waits unseen nor keeps
    the proofs batched with it from being scored. False when it is no longer waiting to be scored."""
    proof = db.session.get(Proof, proof_id, with_for_update=True, populate_existing=True)
    if proof is None or proof.state != ProofState.RECEIVED.value:
        return False
    ensure_item(proof, "hold", 1.0)
    record("proof.scoring_failed", "proof", proof_id, actor_label="system",
           data={"error": error[:500], "queue": "hold"})
    db.session.flush()
    return True


def _flagged_among(ids: list[str]) -> set[str]:
    """The proofs among `ids` an open fraud flag names."""
    flags = FraudFlag.__table__
    found: set[str] = set()
    for start in range(0, len(ids), 900):
        found.update(db.session.scalars(sa.select(flags.c.proof_id).where(
            flags.c.proof_id.in_(ids[start:start + 900]), flags.c.status == "open")))
    return found


@per_dialect
def _claim_fresh(dialect: str) -> sa.Update:
    """Move the waiting proofs among :ids to :new_state; returns (id, campaign) of those it moved."""
    proofs = Proof.__table__
    return sa.update(proofs).where(among(proofs.c.id, "ids", dialect), proofs.c.state.in_(WAITING)) \
        .values(state=sa.bindparam("new_state"), state_changed_at=sa.bindparam("now")) \
        .returning(proofs.c.id, proofs.c.campaign_id)

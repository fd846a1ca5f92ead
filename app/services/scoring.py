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

from app.services.audit import record
from app.services.bulk import insert_ignoring_conflicts, upsert
from app.services.model_scoring import active_model_outcome, explanations
from app.services.models_registry import load_active
from app.services.rulesets import load_active_rules
from app.services.scoring_context import build_context, load_all_context
from ml.predict import predict_proba
from models import Proof, ProofScore, ProofState, ReviewDecision, ReviewItem, db, utcnow
from review_rules.combine import combine
from review_rules.context import ScoringContext
from review_rules.engine import evaluate

ROUTE_QUEUE = {"auto_approve": "auto", "review": "review", "hold": "hold"}
SCORE_COLUMNS = ("proof_id", "risk_score", "rule_score", "model_score", "route", "reasons", "signals",
                 "explanation", "ruleset_version", "model_version", "degraded")


@dataclass
class ScoreSummary:
    scored: int = 0
    routes: dict[str, int] | None = None
    auto_approved: int = 0


def compute_scores(proof_ids: list[str], context: ScoringContext | None = None) -> pd.DataFrame:
    """Score proofs with the active rule set (and the model, once plugged in): one row per stored proof.

    `context` lets a caller that already loaded the evidence (full batch scoring) skip the
    database lookups; otherwise the targets and their history are read for this batch.
    """
    rules = load_active_rules()
    if context is None:
        context = build_context(proof_ids, **rules.config["context"])
    output = evaluate(context, rules.config)
    model = active_model_outcome(output)  # cold start, model, or degraded (app/services/model_scoring.py)
    combined = combine(output, model.probabilities, rules.config, degraded=model.degraded, unseen=model.unseen)
    wanted = [pid for pid in dict.fromkeys(proof_ids) if pid in combined.index]
    # Arrays by position rather than label-aligned Series: online, one proof pays every call's overhead.
    at = combined.index.get_indexer(wanted)
    routes = combined["route"].to_numpy()[at]
    model_scores = combined["model_score"].to_numpy(dtype=float)[at]
    signals = output.reasons.to_numpy()[output.reasons.index.get_indexer(wanted)]
    return pd.DataFrame({
        "proof_id": wanted,
        "risk_score": combined["risk_score"].to_numpy(dtype=float)[at],
        "rule_score": combined["rule_score"].to_numpy(dtype=float)[at],
        "model_score": [None if np.isnan(m) else float(m) for m in model_scores],
        "route": routes,
        "reasons": [";".join(s["code"] for s in listed) for listed in signals],
        "signals": list(signals),
        "explanation": explanations(model, pd.Series(routes, index=wanted)).to_list(),
        "ruleset_version": rules.version,
        "model_version": model.version,
        "degraded": bool(model.degraded),
    })


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
        summary.auto_approved += route_proofs(scores)
        summary.scored += len(scores)
        for route in scores["route"].to_list():
            summary.routes[route] = summary.routes.get(route, 0) + 1
        db.session.flush()
        if progress:
            progress(len(chunk))
    return summary


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


def route_proofs(scores: pd.DataFrame) -> int:
    """Queue every newly scored proof; approve by policy the low-risk ones. Returns auto approvals.

    Fresh proofs take the legal path received -> scored -> in_review (-> approved by a system
    decision) in one bulk update; proofs already decided keep their state and only get the score.
    """
    ids = scores["proof_id"].tolist()
    states: dict[str, str] = {}
    campaigns: dict[str, str] = {}
    for start in range(0, len(ids), 900):
        for pid, state, campaign in db.session.execute(
                sa.select(Proof.id, Proof.state, Proof.campaign_id).where(Proof.id.in_(ids[start:start + 900]))):
            states[pid], campaigns[pid] = state, campaign
    now = utcnow()
    scored = list(zip(ids, scores["route"].to_list(), scores["risk_score"].to_list(),
                      scores["degraded"].to_list(), strict=True))
    waiting = (ProofState.RECEIVED.value, ProofState.SCORED.value)
    fresh = [(pid, route, risk) for pid, route, risk, _ in scored if states.get(pid) in waiting]
    requeue = [(pid, route, risk) for pid, route, risk, _ in scored if states.get(pid) == ProofState.IN_REVIEW.value]
    auto_ids = {pid for pid, route, _, degraded in scored
                if states.get(pid) in waiting and route == "auto_approve" and not degraded}
    proof_table, item_table = Proof.__table__, ReviewItem.__table__
    if fresh:
        insert_ignoring_conflicts(item_table, [{
            "proof_id": pid, "campaign_id": campaigns[pid], "queue": ROUTE_QUEUE[route], "priority": float(risk),
            "status": "decided" if pid in auto_ids else "open", "created_at": now, "updated_at": now,
        } for pid, route, risk in fresh], key="proof_id")
        db.session.execute(sa.update(proof_table).where(proof_table.c.id == sa.bindparam("pid")).values(
            state=sa.bindparam("new_state"), state_changed_at=now), [
            {"pid": pid, "new_state": ProofState.APPROVED.value if pid in auto_ids else ProofState.IN_REVIEW.value}
            for pid, _, _ in fresh])
    if auto_ids:
        db.session.execute(sa.insert(ReviewDecision), [{
            "proof_id": pid, "decision": "approved", "reason_code": "policy_low_risk", "note": None,
            "actor_kind": "system", "actor_id": None, "decided_at": now, "idempotency_key": None,
        } for pid in sorted(auto_ids)])
        record("proof.approved", "proof", f"{len(auto_ids)} proofs", actor_label="system",
               data={"policy": "auto_approve", "proof_ids": sorted(auto_ids)[:1000]})
    if requeue:
        db.session.execute(sa.update(item_table).where(
            item_table.c.proof_id == sa.bindparam("pid"), item_table.c.status != "decided").values(
            queue=sa.bindparam("q"), priority=sa.bindparam("p"), updated_at=now), [
            {"pid": pid, "q": ROUTE_QUEUE[route], "p": float(risk)} for pid, route, risk in requeue])
    return len(auto_ids)

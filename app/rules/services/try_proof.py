"""Try a version on one proof: its signals, score and route beside the active version's.

The proof's context is read the way online scoring reads it (`build_context`, capped lookups), once
per distinct `context` section (a version may ask for more or less history). Nothing is written: the
stored score stays the active version's.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from app.platform.i18n import _
from app.rules.services.versions import checked, resolve
from app.scoring.services.context import build_context
from app.scoring.services.model_scoring import combine_as_scoring, model_outcome
from app.scoring.services.mutes import relieve
from models import NotFound, Proof, ProofScore, ReviewItem, RuleSet, db
from review_rules import useragents
from review_rules.engine import evaluate
from review_rules.registry import all_signals

WARM_AGENT = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
              "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x18003237) NetType/WIFI Language/zh_CN")


def score_with(proof_id: str, row: RuleSet, contexts: dict | None = None) -> dict[str, Any]:
    """What `row` says about one stored proof: risk, rule and model scores, route, fired signals.
    `contexts` keeps the evidence read per `context` section, so two versions that read the same
    history read it once."""
    config = checked(row)
    key = tuple(sorted(config["context"].items()))
    contexts = {} if contexts is None else contexts
    if key not in contexts:
        contexts[key] = build_context([proof_id], **config["context"])
    context = contexts[key]
    output = relieve(evaluate(context, config), context, config)  # the mutes in force count for every version
    if proof_id not in output.rule_score.index:
        raise NotFound(_("proof %(proof)s could not be evaluated", proof=proof_id))
    model = model_outcome(output, Path(current_app.config["MODEL_DIR"]), current_app.config["MODEL_TIMEOUT_SECONDS"])
    combined = combine_as_scoring(output, model, config)
    result = combined.loc[proof_id]
    model_score = result["model_score"]
    return {"version": row.version, "status": row.status, "route": result["route"],
            "risk": float(result["risk_score"]), "rule_score": float(result["rule_score"]),
            "model_score": None if model_score != model_score else float(model_score),
            "hard_hold": bool(result["hard_hold"]), "model": model.version,
            "signals": {s["code"]: {**s, "weight": config["signals"][s["code"]]["weight"]}
                        for s in output.reasons.loc[proof_id]}}


def compare(proof_id: str, version: str) -> dict[str, Any]:
    """The active version and `version` side by side on one proof, one row per signal either fired."""
    if db.session.get(Proof, proof_id) is None:
        raise NotFound(_("proof %(proof)s does not exist", proof=proof_id))
    active, other = resolve("active"), resolve(version)
    contexts: dict = {}
    left, right = score_with(proof_id, active, contexts), score_with(proof_id, other, contexts)
    order = [spec.code for spec in all_signals()]
    codes = [c for c in order if c in left["signals"] or c in right["signals"]]
    rows = [{"code": code, "active": left["signals"].get(code), "other": right["signals"].get(code)}
            for code in codes]
    return {"proof_id": proof_id, "active": left, "other": right, "rows": rows,
            "route_changes": left["route"] != right["route"]}


def from_queue(limit: int = 20) -> list[dict[str, Any]]:
    """The newest proofs waiting in the review queue (id, queue, stored risk and route): the ones an
    operator picks to try a draft on. Newest first by the items' key, so a large queue is not sorted."""
    query = sa.select(ReviewItem.proof_id, ReviewItem.queue, ProofScore.risk_score, ProofScore.route) \
        .outerjoin(ProofScore, ProofScore.proof_id == ReviewItem.proof_id) \
        .where(ReviewItem.status == "open").order_by(ReviewItem.id.desc()).limit(limit)
    return [dict(row._mapping) for row in db.session.execute(query)]


def warm_try() -> str:
    """Pay the first try's one-off costs at worker start, not on an operator's first click: score the
    newest stored proof with the active version (compiles the context queries and the user-agent
    and bot patterns, loads the model and the signals' libraries). Writes nothing; what was warmed, in words."""
    try:
        newest = db.session.scalar(sa.select(Proof.id).order_by(Proof.submitted_at.desc()).limit(1))
        if newest is None:
            useragents.describe([WARM_AGENT])  # no proof yet: at least the patterns
            return "user-agent patterns"
        score_with(newest, resolve("active"))
        return f"try on one proof (proof {newest})"
    finally:
        db.session.rollback()

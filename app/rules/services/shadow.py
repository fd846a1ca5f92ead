"""Shadow mode: a draft runs beside the active rule set on live traffic and only its opinion is kept.

One version at a time has status `shadow`. Every proof scored since the shadow started is scored
again with the shadow version (the same context reads, rules, model and combination as scoring)
and stored in `shadow_scores` next to what the active version said; nothing here touches routes,
review items or money. What is pending is read from the database (scored since the start, no
shadow score yet), so a catch-up run after a lost job finds everything.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from flask import current_app

from app.platform.audit import record
from app.platform.i18n import _
from app.rules.services.versions import checked
from app.scoring.services.context import build_context
from app.scoring.services.model_scoring import combine_as_scoring, model_outcome
from app.scoring.services.mutes import relieve
from models import AuditEvent, DomainError, NotFound, ProofScore, RuleSet, ShadowScore, StaffUser, db, utcnow
from review_rules.engine import evaluate

STARTED = "ruleset.shadow_started"
SAMPLE = 50


def current() -> RuleSet | None:
    return db.session.scalar(sa.select(RuleSet).where(RuleSet.status == "shadow").limit(1))


def started_at(row: RuleSet) -> datetime | None:
    """When `row` last went into shadow (its audit row says)."""
    return db.session.scalar(sa.select(sa.func.max(AuditEvent.at)).where(
        AuditEvent.action == STARTED, AuditEvent.object_type == "ruleset", AuditEvent.object_id == str(row.version)))


def start(row: RuleSet, actor: StaffUser | None) -> RuleSet:
    """Put a draft in shadow; a version already in shadow goes back to being a draft."""
    if row.status != "draft":
        raise DomainError(_("version %(v)s is %(s)s; only a draft can run in shadow", v=row.version, s=row.status))
    checked(row)
    before = current()
    if before is not None:
        stop(before, actor)
    row.status = "shadow"
    db.session.flush()
    record(STARTED, "ruleset", str(row.version), actor=actor, actor_label="cli",
           data={"replaced": before.version if before else None})
    return row


def stop(row: RuleSet, actor: StaffUser | None) -> RuleSet:
    if row.status != "shadow":
        raise DomainError(_("version %(v)s is not in shadow", v=row.version))
    row.status = "draft"
    db.session.flush()
    record("ruleset.shadow_stopped", "ruleset", str(row.version), actor=actor, actor_label="cli",
           data={"shadow_scores": db.session.scalar(sa.select(sa.func.count()).select_from(ShadowScore)
                                                    .where(ShadowScore.ruleset_version == row.version))})
    return row


def request_catch_up(actor: StaffUser | None) -> RuleSet:
    """The audit row of an operator asking to shadow-score what is pending now (the job follows the commit)."""
    row = current()
    if row is None:
        raise NotFound(_("no version is in shadow"))
    record("shadow.catch_up_requested", "ruleset", str(row.version), actor=actor, actor_label=None if actor else "cli")
    return row


def pending_ids(row: RuleSet, limit: int | None = None) -> list[str]:
    """Proofs scored since the shadow started that have no shadow score of `row` yet, oldest first."""
    since = started_at(row)
    if since is None:
        return []
    shadowed = sa.exists().where(ShadowScore.proof_id == ProofScore.proof_id,
                                 ShadowScore.ruleset_version == row.version)
    query = sa.select(ProofScore.proof_id).where(ProofScore.scored_at >= since, ~shadowed) \
        .order_by(ProofScore.scored_at, ProofScore.proof_id)
    return list(db.session.scalars(query.limit(limit) if limit else query))


def score(row: RuleSet, proof_ids: list[str]) -> int:
    """Score these proofs with the shadow version and store it beside the active score; the caller commits."""
    if not proof_ids:
        return 0
    config = checked(row)
    context = build_context(proof_ids, **config["context"])
    output = relieve(evaluate(context, config), context, config)  # as the active scorer does
    model = model_outcome(output, Path(current_app.config["MODEL_DIR"]), None)
    combined = combine_as_scoring(output, model, config)
    active = {r.proof_id: r for r in db.session.execute(
        sa.select(ProofScore.proof_id, ProofScore.ruleset_version, ProofScore.risk_score, ProofScore.route,
                  ProofScore.reasons).where(ProofScore.proof_id.in_(proof_ids)))}
    now = utcnow()
    rows = []
    for pid in combined.index:
        was = active.get(pid)
        rows.append({"ruleset_version": row.version, "proof_id": pid, "scored_at": now,
                     "risk_score": float(combined.at[pid, "risk_score"]), "route": str(combined.at[pid, "route"]),
                     "reasons": ";".join(s["code"] for s in output.reasons.loc[pid] if "muted" not in s),
                     "active_version": was.ruleset_version if was else None,
                     "active_risk": was.risk_score if was else None, "active_route": was.route if was else None,
                     "active_reasons": was.reasons if was else None})
    table = ShadowScore.__table__
    db.session.execute(sa.delete(table).where(table.c.ruleset_version == row.version,
                                              table.c.proof_id.in_(list(combined.index))))
    if rows:
        db.session.execute(table.insert(), rows)
    return len(rows)


def catch_up(row: RuleSet, batch_size: int = 500, progress: Callable[[int], None] | None = None) -> int:
    """Shadow-score everything pending, batch by batch (`progress` runs after each; the caller may commit there)."""
    done = 0
    while True:
        ids = pending_ids(row, batch_size)
        if not ids:
            return done
        done += score(row, ids)
        if progress:
            progress(len(ids))


def comparison(row: RuleSet) -> dict[str, Any]:
    """Where and how often the shadow version and the active one disagree."""
    t = ShadowScore.__table__
    frame = pd.DataFrame(db.session.execute(
        sa.select(t.c.proof_id, t.c.route, t.c.risk_score, t.c.reasons, t.c.active_route, t.c.active_risk,
                  t.c.active_reasons, t.c.scored_at).where(t.c.ruleset_version == row.version)).all(),
        columns=["proof_id", "route", "risk", "reasons", "active_route", "active_risk", "active_reasons", "at"])
    out: dict[str, Any] = {"version": row.version, "status": row.status, "since": started_at(row),
                           "pending": len(pending_ids(row)), "scored": len(frame)}
    if frame.empty:
        return {**out, "agree": None, "matrix": [], "by_day": [], "signals": [], "sample": []}
    differs = (frame["route"] != frame["active_route"]).to_numpy()
    frame["day"] = pd.to_datetime(frame["at"], utc=True).dt.strftime("%Y-%m-%d")
    matrix = frame.groupby(["active_route", "route"]).size()
    by_day = frame.assign(d=differs).groupby("day")["d"].agg(["size", "sum"])
    out.update({
        "agree": round(1 - float(differs.mean()), 4), "disagree": int(differs.sum()),
        "mean_risk_change": round(float((frame["risk"] - frame["active_risk"].astype(float)).mean()), 4),
        "matrix": [{"active": a, "shadow": s, "count": int(n)} for (a, s), n in matrix.items()],
        "by_day": [{"day": d, "scored": int(r["size"]), "disagree": int(r["sum"])} for d, r in by_day.iterrows()],
        "signals": _signal_moves(frame),
        "sample": [{"proof_id": r.proof_id, "active": r.active_route, "shadow": r.route,
                    "active_risk": round(float(r.active_risk), 3), "risk": round(float(r.risk), 3)}
                   for r in frame[differs].sort_values("risk", ascending=False).head(SAMPLE).itertuples()],
    })
    return out


def _signal_moves(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Per signal: proofs where only the shadow fires it, and where only the active version did."""
    def fired(column: str) -> pd.DataFrame:
        codes = frame[column].fillna("").str.split(";").explode()
        return pd.DataFrame({"proof_id": frame["proof_id"].to_numpy()[np.repeat(
            np.arange(len(frame)), frame[column].fillna("").str.split(";").str.len())], "code": codes.to_numpy()})
    shadow, active = fired("reasons"), fired("active_reasons")
    shadow, active = shadow[shadow["code"] != ""], active[active["code"] != ""]
    both = shadow.merge(active, on=["proof_id", "code"], how="outer", indicator=True)
    counts = both.groupby(["code", "_merge"], observed=False).size().unstack(fill_value=0)
    rows = [{"code": code, "only_shadow": int(r.get("left_only", 0)), "only_active": int(r.get("right_only", 0)),
             "both": int(r.get("both", 0))} for code, r in counts.iterrows()]
    return sorted([r for r in rows if r["only_shadow"] or r["only_active"]],
                  key=lambda r: (-(r["only_shadow"] + r["only_active"]), r["code"]))

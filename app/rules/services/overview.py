"""What the rules and the model are doing now, from stored scores and the labels people gave.

One columnar read of (proof, submission day, route, fired codes) for the period, joined with the
newest human or imported decision per proof; every figure is a group-by over that frame. "Agreed"
means a person rejected a proof the signal fired on.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import sqlalchemy as sa

from app.rules.services.versions import checked, resolve
from app.scoring.services.model_training import labelled_decisions
from app.scoring.services.models_registry import active_version
from models import Proof, ProofScore, db, utcnow
from review_rules.combine import thresholds_in_force
from review_rules.registry import all_signals

ROUTES = ("auto_approve", "review", "hold")


def scored_frame(since: datetime | None) -> pd.DataFrame:
    """index proof_id; worker_id, day, route, reasons (codes joined by ';'), label (1 rejected, 0 approved,
    NaN none)."""
    query = sa.select(Proof.id, Proof.worker_id, Proof.submitted_at, ProofScore.route, ProofScore.reasons) \
        .join(ProofScore, ProofScore.proof_id == Proof.id)
    if since is not None:
        query = query.where(Proof.submitted_at >= since)
    frame = pd.DataFrame(db.session.execute(query).all(), columns=["proof_id", "worker_id", "submitted_at", "route",
                                                                  "reasons"])
    labels = labelled_decisions()[["proof_id", "label"]]
    frame = frame.merge(labels, on="proof_id", how="left").set_index("proof_id")
    frame["day"] = pd.to_datetime(frame["submitted_at"], utc=True).dt.strftime("%Y-%m-%d")
    return frame.drop(columns="submitted_at")


def by_day(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Per day: route mix, review load (sent to a person), labelled, rejected and the fraud rate."""
    if frame.empty:
        return []
    routes = pd.crosstab(frame["day"], frame["route"]).reindex(columns=list(ROUTES), fill_value=0)
    labelled = frame.groupby("day")["label"].agg(["count", "sum"])
    rings = new_ring_accounts(frame)
    out = []
    for day, row in routes.iterrows():
        n, rejected = int(labelled.loc[day, "count"]), int(labelled.loc[day, "sum"])
        out.append({"day": day, **{r: int(row[r]) for r in ROUTES}, "load": int(row["review"] + row["hold"]),
                    "new_ring_accounts": rings.get(day, 0),
                    "labelled": n, "rejected": rejected, "fraud_rate": round(rejected / n, 4) if n else None})
    return out


RING = "graph.ring"


def new_ring_accounts(frame: pd.DataFrame) -> dict[str, int]:
    """Per day: accounts on which the ring signal fired for the first time in the period."""
    fired = frame[frame["reasons"].fillna("").str.split(";").apply(lambda codes: RING in codes)]
    if fired.empty:
        return {}
    first = fired.groupby("worker_id")["day"].min()
    return {str(day): int(n) for day, n in first.value_counts().sort_index().items()}


def signal_behaviour(frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Per fired code: fires, fires on approved / rejected labelled proofs, precision when it fires,
    and the signal it most often fires together with (its share of this signal's firings)."""
    fired = frame["reasons"].fillna("").str.split(";").explode()
    fired = fired[fired != ""]
    if fired.empty:
        return {}
    pairs = pd.DataFrame({"code": fired.to_numpy(), "label": frame["label"].reindex(fired.index).to_numpy(),
                          "proof": fired.index.to_numpy()})
    out: dict[str, dict[str, Any]] = {}
    grouped = pairs.groupby("code")
    fires = grouped.size()
    rejected = grouped["label"].apply(lambda s: int((s == 1).sum()))
    approved = grouped["label"].apply(lambda s: int((s == 0).sum()))
    both = pairs.merge(pairs, on="proof")
    both = both[both["code_x"] != both["code_y"]]
    overlap = both.groupby(["code_x", "code_y"]).size()
    for code in fires.index:
        judged = int(rejected[code] + approved[code])
        partner, shared = None, 0
        if code in overlap.index.get_level_values(0):
            row = overlap.loc[code]
            partner, shared = str(row.idxmax()), int(row.max())
        out[code] = {"fires": int(fires[code]), "fires_rejected": int(rejected[code]),
                     "fires_approved": int(approved[code]),
                     "precision": round(int(rejected[code]) / judged, 4) if judged else None,
                     "overlap_code": partner, "overlap_share": round(shared / int(fires[code]), 4) if partner else 0.0}
    return out


def operating_point(frame: pd.DataFrame) -> dict[str, Any]:
    """Thresholds in force, and on labelled proofs the share of honest ones and of fraud sent to a person."""
    active = resolve("active")
    config = checked(active)
    model = active_version()
    point = (model.meta or {}).get("operating_point") if model else None
    # while a model scores, its own operating point routes
    thresholds, source = thresholds_in_force(point, config) if model else (dict(config["thresholds"]), "rules")
    labelled = frame[frame["label"].notna()]
    flagged = labelled["route"].isin(("review", "hold")).to_numpy()
    fraud = (labelled["label"] == 1).to_numpy()
    honest = ~fraud
    return {"version": active.version, "model": model.version if model else None, "thresholds": thresholds,
            "thresholds_from": source,
            "target_honest_share": point.get("target", {}).get("honest_share") if source == "model" else None,
            "model_weight": config["combine"]["model_weight"], "labelled": int(len(labelled)),
            "honest_flagged_share": round(float(flagged[honest].mean()), 4) if honest.any() else None,
            "fraud_flagged_share": round(float(flagged[fraud].mean()), 4) if fraud.any() else None}


def overview(days: int = 30, now: datetime | None = None) -> dict[str, Any]:
    """Everything the operators' home page shows, for the last `days` days of submissions: up to now,
    or up to the newest scored proof when that is older (an imported backlog shows its last days,
    not empty ones)."""
    now = now or utcnow()
    newest = db.session.scalar(sa.select(sa.func.max(Proof.submitted_at))
                               .join(ProofScore, ProofScore.proof_id == Proof.id))
    until = min(now, newest) if newest is not None else now
    frame = scored_frame(until - timedelta(days=days))
    behaviour = signal_behaviour(frame)
    rows = [{"code": code, **figures} for code, figures in behaviour.items()]
    agreed = [r for r in rows if r["fires_rejected"] + r["fires_approved"]]
    labelled = frame["label"].notna()
    return {
        "days": by_day(frame), "proofs": int(len(frame)), "labelled": int(labelled.sum()),
        "fraud_rate": round(float(frame.loc[labelled, "label"].mean()), 4) if labelled.any() else None,
        "new_ring_accounts": sum(new_ring_accounts(frame).values()),
        "top_firing": sorted(rows, key=lambda r: (-r["fires"], r["code"]))[:8],
        "top_agreed": sorted(agreed, key=lambda r: (-(r["precision"] or 0), -r["fires"], r["code"]))[:8],
        "operating_point": operating_point(frame),
        "until": until.date().isoformat() if now - until > timedelta(days=1) else None,
    }


def catalogue(days: int | None = None) -> list[dict[str, Any]]:
    """Every declared signal with its settings in the active version and its measured behaviour."""
    config = checked(resolve("active"))
    behaviour = signal_behaviour(scored_frame(utcnow() - timedelta(days=days) if days else None))
    out = []
    for spec in all_signals():
        entry = config["signals"][spec.code]
        measured = behaviour.get(spec.code, {"fires": 0, "fires_rejected": 0, "fires_approved": 0,
                                             "precision": None, "overlap_code": None, "overlap_share": 0.0})
        out.append({"spec": spec, "enabled": entry["enabled"], "weight": entry["weight"],
                    "params": entry["params"], **measured,
                    "hard_hold": config["hard_hold"].get(spec.code)})
    return out


"""Brand risk scorecards: how much of a brand's business looks bought.

Three shares per brand, each a sign of a brand that pays for fake engagement or colludes with a ring:
- rejected: its decided proofs that were rejected (or clawed back after settling);
- ring: its proofs made by the one ring of linked accounts (>= MIN_RING accounts sharing devices,
  phones, hardware or home addresses, as the `graph.ring` signal links them) that made the most;
- exclusive: its proofs made by accounts that work for no other brand (>= EXCLUSIVE_MIN_PROOFS proofs).

The brand's disputes (how many, the proofs they named, the proofs of upheld ones) are shown with
the shares but do not weigh in the risk: a brand that disputes fake completions is complaining about
fraud, not buying it. A brand with an open case whose risk reaches a higher tenth raises that case's
priority (cases.note_finding).

Rings need the whole graph, so they and the scorecards are a snapshot refreshed together
(`refresh_scorecards`, from the brands page or `flask brands refresh`), with set-based SQL: a few
statements whatever the number of brands. Shares are shrunk towards zero by PRIOR pseudo-proofs,
so a brand with five proofs cannot outrank one with five thousand on luck.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
import sqlalchemy as sa

from app.compliance.services.cases import note_finding, risk_rank
from app.compliance.services.disputes import dispute_counts
from app.platform.sql import dialect_name
from app.scoring.services.context import load_all_context
from app.scoring.services.rulesets import active_ruleset
from models import BrandScorecard, Campaign, Proof, WorkerRing, db, utcnow
from review_rules.frame import ProofFrame
from review_rules.linkage import ring_labels
from review_rules.signals.graph import RING_PARAMS

MIN_RING = 3
EXCLUSIVE_MIN_PROOFS = 3
PRIOR = 10
WEIGHTS = {"ring_share": 0.45, "rejected_share": 0.35, "exclusive_share": 0.20}
REJECTED_STATES = ("rejected", "clawed_back")
DECIDED_STATES = ("approved", "rejected", "settled", "clawed_back")


def ring_params() -> dict:
    """The ring parameters of the active rule set (defaults where it sets none)."""
    params = {p.name: p.default for p in RING_PARAMS}
    ruleset = active_ruleset()
    configured = ((ruleset.config or {}).get("signals", {}).get("graph.ring", {}).get("params", {})
                  if ruleset else {})
    params.update({k: v for k, v in configured.items() if k in params})
    return params


def compute_rings() -> pd.DataFrame:
    """worker_id, ring_id, ring_size of every account with a proof."""
    if db.session.scalar(sa.text("SELECT 1 FROM proofs LIMIT 1")) is None:
        return pd.DataFrame({"worker_id": [], "ring_id": [], "ring_size": []})
    frame = ProofFrame(load_all_context())
    p = ring_params()
    labels = ring_labels(frame, p["hardware_hours"], p["address_min_days"], p["gateway_accounts"],
                         p["carrier_gateway_accounts"])
    rows = pd.DataFrame({"worker_id": frame.worker_ids, "ring_id": labels}).drop_duplicates("worker_id")
    rows = rows[rows["ring_id"] >= 0]
    rows["ring_size"] = rows.groupby("ring_id")["worker_id"].transform("size")
    return rows


def _store_rings(rings: pd.DataFrame) -> None:
    table = WorkerRing.__table__
    db.session.execute(table.delete())
    records = [{"worker_id": w, "ring_id": int(r), "ring_size": int(s)}
               for w, r, s in zip(rings["worker_id"], rings["ring_id"], rings["ring_size"], strict=True)]
    for start in range(0, len(records), 10000):
        db.session.execute(table.insert(), records[start:start + 10000])


def _in(states: tuple[str, ...]) -> str:
    return ", ".join(f"'{s}'" for s in states)


COUNTS_SQL = f"""
WITH bp AS (
    SELECT c.brand_id, p.worker_id, p.state FROM proofs p JOIN campaigns c ON c.id = p.campaign_id
), totals AS (
    SELECT brand_id, COUNT(*) AS proofs,
           SUM(CASE WHEN state IN ({_in(DECIDED_STATES)}) THEN 1 ELSE 0 END) AS decided,
           SUM(CASE WHEN state IN ({_in(REJECTED_STATES)}) THEN 1 ELSE 0 END) AS rejected
    FROM bp GROUP BY brand_id
), ring_counts AS (
    SELECT bp.brand_id, r.ring_id, COUNT(*) AS n
    FROM bp JOIN worker_rings r ON r.worker_id = bp.worker_id
    WHERE r.ring_size >= :min_ring GROUP BY bp.brand_id, r.ring_id
), top_ring AS (
    SELECT brand_id, ring_id, n FROM (
        SELECT brand_id, ring_id, n,
               ROW_NUMBER() OVER (PARTITION BY brand_id ORDER BY n DESC, ring_id) AS place
        FROM ring_counts) ranked
    WHERE place = 1
), worker_brands AS (
    SELECT worker_id, COUNT(DISTINCT brand_id) AS brands, COUNT(*) AS proofs FROM bp GROUP BY worker_id
), exclusive AS (
    SELECT bp.brand_id, COUNT(*) AS n
    FROM bp JOIN worker_brands w ON w.worker_id = bp.worker_id
    WHERE w.brands = 1 AND w.proofs >= :min_exclusive GROUP BY bp.brand_id
)
SELECT b.id, COALESCE(t.proofs, 0), COALESCE(t.decided, 0), COALESCE(t.rejected, 0), tr.ring_id,
       COALESCE(tr.n, 0), COALESCE(e.n, 0)
FROM brands b
LEFT JOIN totals t ON t.brand_id = b.id
LEFT JOIN top_ring tr ON tr.brand_id = b.id
LEFT JOIN exclusive e ON e.brand_id = b.id
"""


def shrunk(part: int, whole: int) -> float:
    return part / (whole + PRIOR) if whole else 0.0


def risk_of(shares: dict[str, float]) -> float:
    return round(sum(weight * shares[name] for name, weight in WEIGHTS.items()), 4)


def refresh_scorecards(now: datetime | None = None) -> int:
    """Recompute rings and every brand's scorecard (flushed, not committed); returns the brands scored."""
    now = now or utcnow()
    _store_rings(compute_rings())
    rows = db.session.execute(sa.text(COUNTS_SQL), {"min_ring": MIN_RING, "min_exclusive": EXCLUSIVE_MIN_PROOFS})
    disputed = dispute_counts()
    cards = []
    for brand_id, proofs, decided, rejected, ring_id, ring_proofs, exclusive in rows:
        disputes, disputed_proofs, upheld = disputed.get(brand_id, (0, 0, 0))
        shares = {"rejected_share": shrunk(rejected, decided), "ring_share": shrunk(ring_proofs, proofs),
                  "exclusive_share": shrunk(exclusive, proofs)}
        cards.append({"brand_id": brand_id, "proofs": proofs, "decided": decided, "rejected": rejected,
                      "top_ring_id": ring_id, "top_ring_proofs": ring_proofs, "exclusive_proofs": exclusive,
                      **{k: round(v, 4) for k, v in shares.items()}, "risk": risk_of(shares), "computed_at": now,
                      "disputes": disputes, "disputed_proofs": disputed_proofs, "upheld_proofs": upheld})
    table = BrandScorecard.__table__
    db.session.execute(table.delete())
    if cards:
        db.session.execute(table.insert(), cards)
    db.session.flush()
    _raise_cases({c["brand_id"]: c["risk"] for c in cards})
    return len(cards)


def _raise_cases(risks: dict[str, float]) -> None:
    """Open cases on brands whose risk reached a higher tenth than their case has seen get more priority."""
    cased = db.session.scalars(sa.text("SELECT DISTINCT subject_id FROM compliance_cases "
                                       "WHERE subject_type = 'brand' AND status IN ('open', 'investigating')"))
    for brand_id in cased:
        if brand_id in risks:
            note_finding("brand", brand_id, source="risk", rank=risk_rank(risks[brand_id]),
                         summary=f"risk {risks[brand_id]:.2f}")


def last_refreshed() -> datetime | None:
    return db.session.scalar(sa.select(sa.func.max(BrandScorecard.computed_at)))


@dataclass
class Week:
    start: str
    proofs: int
    rejected_share: float
    ring_share: float


def _week_start(column: sa.ColumnElement) -> sa.ColumnElement:
    if dialect_name() == "postgresql":
        return sa.func.to_char(sa.func.date_trunc("week", column), "YYYY-MM-DD")
    return sa.func.date(column, "weekday 0", "-6 days")  # the Monday of the week (SQLite)


def weekly_trend(brand_id: str, ring_id: int | None) -> list[Week]:
    """Per week of submission: proofs, share of decided ones rejected, share made by the brand's top ring."""
    week = _week_start(Proof.submitted_at).label("week")
    in_ring = (sa.select(WorkerRing.worker_id).where(WorkerRing.ring_id == ring_id) if ring_id is not None
               else sa.select(WorkerRing.worker_id).where(sa.false()))
    query = (sa.select(
        week, sa.func.count(),
        sa.func.sum(sa.case((Proof.state.in_(DECIDED_STATES), 1), else_=0)),
        sa.func.sum(sa.case((Proof.state.in_(REJECTED_STATES), 1), else_=0)),
        sa.func.sum(sa.case((Proof.worker_id.in_(in_ring), 1), else_=0)))
        .join(Campaign, Campaign.id == Proof.campaign_id).where(Campaign.brand_id == brand_id)
        .group_by(week).order_by(week))
    return [Week(str(start), n, rej / dec if dec else 0.0, ring / n if n else 0.0)
            for start, n, dec, rej, ring in db.session.execute(query)]

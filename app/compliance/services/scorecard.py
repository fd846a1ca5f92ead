"""Brand risk scorecards: how much of a brand's business looks bought.

Three shares per brand, each a sign of a brand that pays for fake engagement or colludes with a ring:
- rejected: its decided proofs that were rejected (or clawed back after settling);
- ring: its proofs made by its top linked group of >= MIN_RING accounts (review_rules/collusion.py:
  accounts linked within the brand's completions by an address on the same day — carrier NAT
  included —, a device, or a ring of the `graph.ring` linkage), discounted by how much of the
  group's own work goes to other brands: a studio working for one brand keeps its full weight,
  strangers behind one carrier address keep only the brand's share of their work;
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

import io
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from app.compliance.services.cases import note_finding, risk_rank
from app.compliance.services.disputes import dispute_counts
from app.platform.locks import for_this_transaction
from app.platform.sql import dialect_name
from app.scoring.services.context import load_all_context
from app.scoring.services.rulesets import active_ruleset
from models import BrandRingMember, BrandScorecard, Campaign, Proof, WorkerRing, db, utcnow
from review_rules.collusion import brand_groups, top_groups
from review_rules.frame import ProofFrame
from review_rules.groups import dense, factorize
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


# One pass over the proofs, grouped by (brand, worker); every count below reads that, not the proofs.
COUNTS_SQL = f"""
WITH bw AS (
    SELECT c.brand_id, p.worker_id, COUNT(*) AS n,
           SUM(CASE WHEN p.state IN ({_in(DECIDED_STATES)}) THEN 1 ELSE 0 END) AS decided,
           SUM(CASE WHEN p.state IN ({_in(REJECTED_STATES)}) THEN 1 ELSE 0 END) AS rejected
    FROM proofs p JOIN campaigns c ON c.id = p.campaign_id
    GROUP BY c.brand_id, p.worker_id
), totals AS (
    SELECT brand_id, SUM(n) AS proofs, SUM(decided) AS decided, SUM(rejected) AS rejected
    FROM bw GROUP BY brand_id
), exclusive_workers AS (
    SELECT worker_id FROM bw GROUP BY worker_id HAVING COUNT(*) = 1 AND SUM(n) >= :min_exclusive
), exclusive AS (
    SELECT bw.brand_id, SUM(bw.n) AS n FROM bw JOIN exclusive_workers e ON e.worker_id = bw.worker_id
    GROUP BY bw.brand_id
)
SELECT b.id, COALESCE(t.proofs, 0), COALESCE(t.decided, 0), COALESCE(t.rejected, 0), COALESCE(e.n, 0)
FROM brands b
LEFT JOIN totals t ON t.brand_id = b.id
LEFT JOIN exclusive e ON e.brand_id = b.id
"""


def _day_column() -> str:
    if dialect_name() == "postgresql":
        return "FLOOR(EXTRACT(EPOCH FROM p.submitted_at) / 86400)"
    return "CAST(julianday(p.submitted_at) AS INTEGER)"


LINK_COLUMNS = ["brand_id", "worker_id", "ip_hash", "device_fp_hash", "day"]


def load_links() -> pd.DataFrame:
    """brand_id, worker_id, ip_hash, device_fp_hash, day of every proof (what brand groups link by)."""
    select = (f"SELECT c.brand_id, p.worker_id, p.ip_hash, p.device_fp_hash, {_day_column()} AS day "
              "FROM proofs p JOIN campaigns c ON c.id = p.campaign_id")
    if dialect_name() == "postgresql":
        # COPY hands over a million rows as one CSV stream: a fifth of the time of row-by-row fetching
        buffer = io.BytesIO()
        with db.session.connection().connection.cursor() as cursor, \
                cursor.copy(f"COPY ({select}) TO STDOUT WITH (FORMAT csv)") as copy:
            for chunk in copy:
                buffer.write(chunk)
        buffer.seek(0)
        return pd.read_csv(buffer, names=LINK_COLUMNS, dtype={"brand_id": str, "worker_id": str, "ip_hash": str,
                                                              "device_fp_hash": str, "day": "Int64"},
                           keep_default_na=False, na_values={"device_fp_hash": [""], "ip_hash": [""]})
    rows = db.session.execute(sa.text(select).execution_options(stream_results=True, yield_per=100_000))
    return pd.DataFrame(rows.all(), columns=LINK_COLUMNS)


def compute_brand_groups(rings: pd.DataFrame, links: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each brand's top linked group (brand_id, group, accounts, brand_proofs, concentration, weight)
    and its members (brand_id, worker_id)."""
    links = load_links() if links is None else links
    brand, brands = pd.factorize(links["brand_id"])
    worker, workers = pd.factorize(links["worker_id"])
    brands, workers = np.asarray(brands, dtype=object), np.asarray(workers, dtype=object)
    ringed = rings[rings["ring_size"] >= 2] if len(rings) else rings
    ring_of = pd.Series(ringed["ring_id"].to_numpy(np.int64), index=ringed["worker_id"]) if len(rings) else \
        pd.Series([], dtype=np.int64)
    ring_code = pd.Series(workers).map(ring_of).fillna(-1).to_numpy(np.int64)[worker]
    address = dense(factorize(links["ip_hash"]), factorize(links["day"]))
    groups, members = brand_groups(brand, worker, [address, factorize(links["device_fp_hash"]), ring_code],
                                   MIN_RING)
    top = top_groups(groups)
    members = members.merge(top[["brand", "group"]], on=["brand", "group"])
    top.insert(0, "brand_id", brands[top["brand"].to_numpy()] if len(top) else [])
    return top, pd.DataFrame({"brand_id": brands[members["brand"].to_numpy()] if len(members) else [],
                              "worker_id": workers[members["worker"].to_numpy()] if len(members) else []})


def _store_members(members: pd.DataFrame) -> None:
    table = BrandRingMember.__table__
    db.session.execute(table.delete())
    records = members.to_dict("records")
    for start in range(0, len(records), 10000):
        db.session.execute(table.insert(), records[start:start + 10000])


def shrunk(part: float, whole: int) -> float:
    return part / (whole + PRIOR) if whole else 0.0


def risk_of(shares: dict[str, float]) -> float:
    return round(sum(weight * shares[name] for name, weight in WEIGHTS.items()), 4)


def refresh_scorecards(now: datetime | None = None) -> int:
    """Recompute rings, brand groups and every brand's scorecard (flushed, not committed); returns the brands scored."""
    for_this_transaction("brand-scorecards")  # the button, the command and the scheduled job may overlap
    now = now or utcnow()
    rings = compute_rings()
    _store_rings(rings)
    top, members = compute_brand_groups(rings)
    _store_members(members)
    by_brand = {row.brand_id: row for row in top.itertuples(index=False)}
    rows = db.session.execute(sa.text(COUNTS_SQL), {"min_exclusive": EXCLUSIVE_MIN_PROOFS})
    disputed = dispute_counts()
    cards = []
    for brand_id, *counts in rows:
        proofs, decided, rejected, exclusive = (int(n) for n in counts)  # SUM is NUMERIC on PostgreSQL
        group = by_brand.get(brand_id)
        disputes, disputed_proofs, upheld = disputed.get(brand_id, (0, 0, 0))
        shares = {"rejected_share": shrunk(rejected, decided),
                  "ring_share": shrunk(float(group.weight), proofs) if group is not None else 0.0,
                  "exclusive_share": shrunk(exclusive, proofs)}
        cards.append({"brand_id": brand_id, "proofs": proofs, "decided": decided, "rejected": rejected,
                      "top_ring_id": int(group.group) if group is not None else None,
                      "top_ring_proofs": int(group.brand_proofs) if group is not None else 0,
                      "top_ring_concentration": round(float(group.concentration), 4) if group is not None else 0.0,
                      "exclusive_proofs": exclusive,
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


def weekly_trend(brand_id: str) -> list[Week]:
    """Per week of submission: proofs, share of decided ones rejected, share made by the brand's top group."""
    week = _week_start(Proof.submitted_at).label("week")
    in_ring = sa.select(BrandRingMember.worker_id).where(BrandRingMember.brand_id == brand_id)
    query = (sa.select(
        week, sa.func.count(),
        sa.func.sum(sa.case((Proof.state.in_(DECIDED_STATES), 1), else_=0)),
        sa.func.sum(sa.case((Proof.state.in_(REJECTED_STATES), 1), else_=0)),
        sa.func.sum(sa.case((Proof.worker_id.in_(in_ring), 1), else_=0)))
        .join(Campaign, Campaign.id == Proof.campaign_id).where(Campaign.brand_id == brand_id)
        .group_by(week).order_by(week))
    return [Week(str(start), n, rej / dec if dec else 0.0, ring / n if n else 0.0)
            for start, n, dec, rej, ring in db.session.execute(query)]

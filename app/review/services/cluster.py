"""The cluster of a proof: the accounts linked to its worker and every proof they made.

Links are the ones the ring signal trusts (review_rules/linkage.py), read here with indexed lookups
from the seed account outwards, at most `hops` steps and `max_accounts` accounts:
a device fingerprint, the same hardware (canvas hash) on the same /24, a home address (never a
data-centre, VPN or Tor exit, and never an address with more accounts than a household has:
carrier NAT hands one address to strangers), the same screenshot file; around the seed account
also near-duplicate comments (the MinHash clusters of review_rules/textdup.py) and lockstep
(acting on the same campaigns within minutes, campaign after campaign). Nothing here commits.
"""
from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

import pandas as pd
import sqlalchemy as sa

from app.platform.i18n import _l
from app.platform.sql import among, dialect_name
from app.review.services.decisions import DECIDABLE
from models import Campaign, NotFound, Proof, ProofScore, ReviewDecision, ReviewItem, db
from review_rules.ipintel import network_kind
from review_rules.linkage import SHARED_BY_DESIGN
from review_rules.signals.graph import RING_PARAMS
from review_rules.textdup import comment_clusters

MAX_ACCOUNTS = 500
HOPS = 2
PROOFS_PER_STEP = 20_000  # proof keys read per step of the walk
PROOF_ROWS = 5_000  # proofs read for the table and the counts
PAST_LISTED = 200  # decided proofs shown in the table; a ring's history is summed per account
CHUNK = 900
NEAR_WINDOW = timedelta(hours=6)  # comments and lockstep are compared with proofs this close in time
NEAR_ROWS = 5_000  # bounds the MinHash pass: a busy campaign has thousands of comments a day
LOCKSTEP_MINUTES = 10
LOCKSTEP_CAMPAIGNS = 3
COMMENT_MIN_CHARS, COMMENT_SIMILARITY = 8, 0.8
_RING_DEFAULTS = {p.name: p.default for p in RING_PARAMS}
GATEWAY_ACCOUNTS = int(_RING_DEFAULTS["gateway_accounts"])
CARRIER_GATEWAY_ACCOUNTS = int(_RING_DEFAULTS["carrier_gateway_accounts"])

TRAIT_LABELS = {
    "device": _l("Same device fingerprint"),
    "hardware": _l("Same hardware on one /24"),
    "address": _l("Same home address"),
    "screenshot": _l("Same screenshot file"),
    "comment": _l("Near-duplicate comment"),
    "lockstep": _l("Acting in lockstep"),
}
_KEY_COLUMNS = (Proof.id, Proof.worker_id, Proof.campaign_id, Proof.submitted_at, Proof.ip_hash,
                Proof.ip_prefix_hash, Proof.ip_asn_name, Proof.ip_asn_cidr, Proof.device_fp_hash,
                Proof.device_canvas_hash, Proof.screenshot_sha256, Proof.comment_text,
                # the outcome columns: the rows read for the walk are the rows of the table
                Proof.state, Campaign.reward_cents, ProofScore.risk_score, ReviewItem.queue, ReviewItem.status)


@dataclass
class Trait:
    kind: str
    key: str
    workers: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        return str(TRAIT_LABELS[self.kind])


@dataclass
class ClusterProof:
    proof_id: str
    worker_id: str
    campaign_id: str
    state: str
    reward_cents: int
    risk: float | None
    queue: str | None
    item_status: str | None
    reason_code: str | None = None

    @property
    def pending(self) -> bool:
        return self.state in DECIDABLE and self.item_status != "decided"


@dataclass
class Account:
    worker_id: str
    depth: int
    pending: int = 0
    approved: int = 0
    rejected: int = 0
    pending_cents: int = 0


@dataclass
class Cluster:
    seed_proof: str
    seed_worker: str
    accounts: dict[str, Account]
    traits: list[Trait]
    proofs: list[ClusterProof]
    truncated: bool = False
    gateways: int = 0  # shared addresses left out as gateways

    @property
    def pending(self) -> list[ClusterProof]:
        return [p for p in self.proofs if p.pending]

    def listed(self, past: int = PAST_LISTED) -> tuple[list[ClusterProof], int]:
        """Every waiting proof (they can be ticked) and the newest `past` decided ones; and how many
        decided ones are left out (the accounts table still counts them)."""
        waiting = [p for p in self.proofs if p.pending]
        decided = [p for p in self.proofs if not p.pending]
        return waiting + decided[:past], max(0, len(decided) - past)


@dataclass(frozen=True)
class Preview:
    proofs: int
    workers: int
    cents: int
    skipped: int  # selected but no longer waiting for a decision
    proof_ids: tuple[str, ...]

    def as_dict(self) -> dict:
        return {"proofs": self.proofs, "workers": self.workers, "cents": self.cents, "skipped": self.skipped}


def build_cluster(proof_id: str, max_accounts: int = MAX_ACCOUNTS, hops: int = HOPS) -> Cluster:
    """Walk from the proof's account along shared traits; then list every proof of the accounts found."""
    seed = db.session.get(Proof, proof_id)
    if seed is None:
        raise NotFound(f"no proof {proof_id!r}")
    accounts = {seed.worker_id: Account(seed.worker_id, 0)}
    traits: dict[tuple[str, str], Trait] = {}
    frontier, truncated, gateways = [seed.worker_id], False, 0
    seen: dict[str, set] = defaultdict(set)  # trait values already looked up: a later step skips them
    read: list[tuple] = []
    for depth in range(1, hops + 1):
        raw = _key_rows(frontier)
        read += raw
        found, skipped = _linked(_Columns(raw), seen, near=depth == 1)
        gateways += skipped
        fresh = []
        for (kind, key), workers in found.items():
            if len(workers) < 2:
                continue
            trait = traits.setdefault((kind, key), Trait(kind, key))
            for worker in sorted(workers):
                if worker not in accounts:
                    if len(accounts) >= max_accounts:
                        truncated = True
                        continue
                    accounts[worker] = Account(worker, depth)
                    fresh.append(worker)
                trait.workers.add(worker)
        frontier = fresh
        if not frontier:
            break
    done = {row[1] for row in read}
    read += _key_rows([w for w in accounts if w not in done])
    proofs = _proofs(read)
    _tally(accounts, proofs)
    return Cluster(proof_id, seed.worker_id, accounts, sorted(traits.values(), key=lambda t: (t.kind, t.key)),
                   proofs, truncated or len(proofs) >= PROOF_ROWS, gateways)


def _tally(accounts: dict[str, Account], proofs: list[ClusterProof]) -> None:
    for p in proofs:
        account = accounts[p.worker_id]
        if p.pending:
            account.pending += 1
            account.pending_cents += p.reward_cents
        elif p.state in ("approved", "settled"):
            account.approved += 1
        elif p.state in ("rejected", "clawed_back"):
            account.rejected += 1


def preview(cluster: Cluster, selected: Iterable[str] | None = None) -> Preview:
    """What a bulk action over the whole cluster (`selected` None) or a selection of it touches."""
    by_id = {p.proof_id: p for p in cluster.proofs}
    chosen = list(by_id) if selected is None else [pid for pid in dict.fromkeys(selected) if pid in by_id]
    pending = [by_id[pid] for pid in chosen if by_id[pid].pending]
    return Preview(proofs=len(pending), workers=len({p.worker_id for p in pending}),
                   cents=sum(p.reward_cents for p in pending),
                   skipped=len(chosen) - len(pending) if selected is not None else 0,
                   proof_ids=tuple(p.proof_id for p in pending))


def _chunks(values: Iterable) -> Iterable[list]:
    values = sorted({v for v in values if v})
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _among(column: sa.Column) -> sa.ColumnElement[bool]:
    # One array parameter on PostgreSQL: a 900-item IN list cost more to send than to run.
    return among(column, "values", dialect_name())


def _key_rows(workers: list[str]) -> list[tuple]:
    rows: list[tuple] = []
    for chunk in _chunks(workers):
        rows += db.session.execute(
            sa.select(*_KEY_COLUMNS).join(Campaign, Campaign.id == Proof.campaign_id)
            .outerjoin(ProofScore, ProofScore.proof_id == Proof.id)
            .outerjoin(ReviewItem, ReviewItem.proof_id == Proof.id)
            .where(_among(Proof.worker_id)).order_by(Proof.submitted_at.desc()).limit(PROOFS_PER_STEP),
            {"values": chunk}).all()
    return rows


def _pairs(column: sa.Column, values: Iterable, seen: dict[str, set], *extra: sa.Column) -> list[tuple]:
    """Distinct (worker, value, *extra) of every proof whose `column` is among `values` not seen before."""
    fresh = {v for v in values if v} - seen[column.key]
    seen[column.key] |= fresh
    out: list[tuple] = []
    for chunk in _chunks(fresh):
        out += db.session.execute(sa.select(Proof.worker_id, column, *extra).where(_among(column)).distinct(),
                                  {"values": chunk}).all()
    return out


class _Columns:
    """The rows read for one step, as columns (`rows.ip_hash` is every row's ip_hash, in order).

    Plain lists: a 2,000-row ring step spent more time building a DataFrame than using it."""

    def __init__(self, raw: list[tuple]) -> None:
        self.empty = not raw
        for column, values in zip(_KEY_COLUMNS, zip(*raw, strict=True) if raw else [()] * len(_KEY_COLUMNS),
                                  strict=True):
            setattr(self, column.key, values)


def _linked(rows: _Columns, seen: dict[str, set], near: bool) -> tuple[dict[tuple[str, str], set[str]], int]:
    """Trait -> accounts sharing it, for every trait of `rows`; and how many addresses were gateways."""
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    if rows.empty:
        return found, 0
    for kind, column in (("device", Proof.device_fp_hash), ("screenshot", Proof.screenshot_sha256)):
        for worker, value in _pairs(column, getattr(rows, column.key), seen):
            found[(kind, value)].add(worker)
    hardware = {(c, p) for c, p in zip(rows.device_canvas_hash, rows.ip_prefix_hash, strict=True) if c and p}
    for worker, canvas, prefix in _pairs(Proof.device_canvas_hash, {c for c, _ in hardware}, seen,
                                         Proof.ip_prefix_hash):
        if (canvas, prefix) in hardware:
            found[("hardware", f"{canvas}@{prefix}")].add(worker)
    gateways = _addresses(rows, found, seen)
    if near:
        _near_duplicates(rows, found)
    return found, gateways


def _addresses(rows: _Columns, found: dict[tuple[str, str], set[str]], seen: dict[str, set]) -> int:
    """Home addresses only: not a shared-by-design network, and no more accounts than a household."""
    limits, kinds = {}, {}
    for ip, name, cidr in zip(rows.ip_hash, rows.ip_asn_name, rows.ip_asn_cidr, strict=True):
        if (name, cidr) not in kinds:
            kinds[(name, cidr)] = network_kind(name, cidr)
        if kinds[(name, cidr)] not in SHARED_BY_DESIGN:
            limits[ip] = CARRIER_GATEWAY_ACCOUNTS if kinds[(name, cidr)] == "carrier" else GATEWAY_ACCOUNTS
    on_address: dict[str, set[str]] = defaultdict(set)
    for worker, ip in _pairs(Proof.ip_hash, limits, seen):
        on_address[ip].add(worker)
    gateways = 0
    for ip, workers in on_address.items():
        if len(workers) > limits[ip]:
            gateways += 1
        else:
            found[("address", ip)] |= workers
    return gateways


def _near_duplicates(rows: _Columns, found: dict[tuple[str, str], set[str]]) -> None:
    """Comments near-duplicated by other accounts, and accounts acting in lockstep, on the same campaigns."""
    start, end = min(rows.submitted_at) - NEAR_WINDOW, max(rows.submitted_at) + NEAR_WINDOW
    near = []
    for chunk in _chunks(rows.campaign_id):
        near += db.session.execute(
            sa.select(Proof.id, Proof.worker_id, Proof.campaign_id, Proof.submitted_at, Proof.comment_text)
            .where(_among(Proof.campaign_id), Proof.submitted_at.between(start, end)).limit(NEAR_ROWS),
            {"values": chunk}).all()
    if not near:
        return
    own = set(rows.worker_id)
    _comment_links(near, own, found)
    _lockstep(near, own, found)


def _comment_links(near: list, own: set[str], found: dict[tuple[str, str], set[str]]) -> None:
    # Only groups holding one of our own comments count: with none (a farm that never writes), the
    # MinHash pass over thousands of strangers' comments would find nothing to report.
    if not any(r.comment_text for r in near if r.worker_id in own):
        return
    labels, _ = comment_clusters(pd.Series([r.comment_text for r in near], dtype=object), COMMENT_MIN_CHARS,
                                 COMMENT_SIMILARITY)
    groups: dict[int, list] = defaultdict(list)
    for row, label in zip(near, labels, strict=True):
        if label >= 0:
            groups[int(label)].append(row)
    for members in groups.values():
        workers = {r.worker_id for r in members}
        if workers & own and len(workers) > 1:
            found[("comment", str(members[0].comment_text)[:40])] |= workers


def _lockstep(near: list, own: set[str], found: dict[tuple[str, str], set[str]]) -> None:
    """Accounts that acted within minutes of one of `own` on enough of the same campaigns."""
    window = timedelta(minutes=LOCKSTEP_MINUTES)
    rivals: dict[str, list] = defaultdict(list)  # campaign -> (time, worker) of the other accounts
    for r in near:
        if r.worker_id not in own:
            rivals[r.campaign_id].append((r.submitted_at, r.worker_id))
    for times in rivals.values():
        times.sort()
    shared: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in near:
        if r.worker_id not in own or r.campaign_id not in rivals:
            continue
        times = rivals[r.campaign_id]
        start = bisect_left(times, (r.submitted_at - window,))
        for when, other in times[start:]:
            if when > r.submitted_at + window:
                break
            shared[(r.worker_id, other)].add(r.campaign_id)
    for (worker, other), campaigns in shared.items():
        if len(campaigns) >= LOCKSTEP_CAMPAIGNS:
            found[("lockstep", worker)] |= {worker, other}


def _proofs(rows: list[tuple]) -> list[ClusterProof]:
    rows = sorted(rows, key=lambda r: r.submitted_at, reverse=True)[:PROOF_ROWS]
    proofs = [ClusterProof(r.id, r.worker_id, r.campaign_id, r.state, r.reward_cents, r.risk_score, r.queue, r.status)
              for r in rows]
    _add_reasons([p for p in proofs if p.state in ("rejected", "clawed_back")])
    # Waiting proofs riskiest first; decided ones keep the query's newest-first order (a stable sort).
    return sorted(proofs, key=lambda p: (False, -(p.risk or 0.0), p.proof_id) if p.pending else (True, 0.0, ""))


def _add_reasons(proofs: list[ClusterProof]) -> None:
    """The reason code of the newest rejection of each rejected proof."""
    by_id = {p.proof_id: p for p in proofs}
    for chunk in _chunks(by_id):
        for pid, reason in db.session.execute(
                sa.select(ReviewDecision.proof_id, ReviewDecision.reason_code)
                .where(_among(ReviewDecision.proof_id), ReviewDecision.decision == "rejected")
                .order_by(ReviewDecision.decided_at, ReviewDecision.id), {"values": chunk}):
            by_id[pid].reason_code = reason

"""The queue list grouped: one row per worker, or one per ring of linked workers, so a backlog that
one farm fills reads as a few rows. Rings are the connected components of the view's accounts and
the traits they share (device fingerprint, hardware on one /24, home address, screenshot file),
with the gateway rule of app/review/services/cluster.py. Nothing here writes.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import sqlalchemy as sa

from app.review.services.cluster import CARRIER_GATEWAY_ACCOUNTS, GATEWAY_ACCOUNTS
from app.review.services.queue import QueueFilters, filtered_items
from models import Campaign, Proof, ReviewItem, db
from review_rules.ipintel import network_kind
from review_rules.linkage import SHARED_BY_DESIGN, components

GROUPS = ("worker", "ring")
GROUP_ROWS = 100
RING_SAMPLE = 20_000  # riskiest items of the view read to find rings


@dataclass
class Group:
    key: str  # the worker id, or the ring's riskiest worker
    workers: list[str]
    proofs: int
    cents: int
    risk: float
    top_proof: str  # the riskiest proof: its cluster and its page open from the row
    traits: set[str] = field(default_factory=set)


def _view(filters: QueueFilters, viewer_id: int, now: datetime, limit: int | None = None) -> sa.Subquery:
    query = filtered_items([ReviewItem.proof_id, ReviewItem.priority], filters, viewer_id, now)
    if limit:
        query = query.order_by(ReviewItem.priority.desc(), ReviewItem.id).limit(limit)
    return query.subquery()


def by_worker(filters: QueueFilters, viewer_id: int, now: datetime, limit: int = GROUP_ROWS) -> list[Group]:
    """Workers of the view with their waiting proofs, money and highest risk; most proofs first."""
    view = _view(filters, viewer_id, now)
    rows = db.session.execute(
        sa.select(Proof.worker_id, sa.func.count(), sa.func.sum(Campaign.reward_cents), sa.func.max(view.c.priority))
        .select_from(view).join(Proof, Proof.id == view.c.proof_id).join(Campaign, Campaign.id == Proof.campaign_id)
        .group_by(Proof.worker_id).order_by(sa.func.count().desc(), sa.func.max(view.c.priority).desc(),
                                            Proof.worker_id).limit(limit)).all()
    tops = _riskiest({w for w, *_ in rows}, view)
    return [Group(worker, [worker], count, int(cents or 0), float(risk or 0.0), tops[worker])
            for worker, count, cents, risk in rows]


def _riskiest(workers: set[str], view: sa.Subquery) -> dict[str, str]:
    best: dict[str, tuple[float, str]] = {}
    for chunk in _chunks(workers):
        for worker, pid, priority in db.session.execute(
                sa.select(Proof.worker_id, view.c.proof_id, view.c.priority).select_from(view)
                .join(Proof, Proof.id == view.c.proof_id).where(Proof.worker_id.in_(chunk))):
            if worker not in best or (-priority, pid) < (-best[worker][0], best[worker][1]):
                best[worker] = (priority, pid)
    return {w: pid for w, (_, pid) in best.items()}


def _chunks(values: set[str], size: int = 900) -> list[list[str]]:
    ordered = sorted(values)
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


def by_ring(filters: QueueFilters, viewer_id: int, now: datetime, limit: int = GROUP_ROWS) -> list[Group]:
    """Rings among the view's riskiest RING_SAMPLE items; an account linked to no other is its own row."""
    view = _view(filters, viewer_id, now, RING_SAMPLE)
    rows = db.session.execute(
        sa.select(view.c.proof_id, view.c.priority, Proof.worker_id, Campaign.reward_cents, Proof.device_fp_hash,
                  Proof.device_canvas_hash, Proof.ip_prefix_hash, Proof.ip_hash, Proof.ip_asn_name,
                  Proof.ip_asn_cidr, Proof.screenshot_sha256)
        .select_from(view).join(Proof, Proof.id == view.c.proof_id)
        .join(Campaign, Campaign.id == Proof.campaign_id)).all()
    if not rows:
        return []
    workers = sorted({r.worker_id for r in rows})
    index = {w: i for i, w in enumerate(workers)}
    shared: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        for kind, value in (("device", r.device_fp_hash), ("screenshot", r.screenshot_sha256),
                            ("hardware", r.device_canvas_hash and f"{r.device_canvas_hash}@{r.ip_prefix_hash}")):
            if value:
                shared[(kind, value)].add(r.worker_id)
        network = network_kind(r.ip_asn_name, r.ip_asn_cidr)
        if network not in SHARED_BY_DESIGN:
            shared[("address" if network != "carrier" else "carrier", r.ip_hash)].add(r.worker_id)
    sources, targets, kinds_of = [], [], defaultdict(set)
    for node, ((kind, _), members) in enumerate(shared.items()):
        limit_accounts = CARRIER_GATEWAY_ACCOUNTS if kind == "carrier" else GATEWAY_ACCOUNTS
        if len(members) < 2 or len(members) > limit_accounts:
            continue
        for w in members:
            sources.append(index[w])
            targets.append(len(workers) + node)
            kinds_of[w].add("address" if kind == "carrier" else kind)
    label = components(np.array(sources, dtype=np.int64), np.array(targets, dtype=np.int64),
                       len(workers) + len(shared))[:len(workers)]
    return _ring_groups(rows, index, label, kinds_of)[:limit]


def _ring_groups(rows: list, index: dict[str, int], label: np.ndarray, kinds_of: dict) -> list[Group]:
    groups: dict[int, Group] = {}
    for r in sorted(rows, key=lambda r: (-r.priority, r.proof_id)):
        ring = int(label[index[r.worker_id]])
        group = groups.get(ring)
        if group is None:
            group = groups[ring] = Group(r.worker_id, [], 0, 0, float(r.priority), r.proof_id)
        if r.worker_id not in group.workers:
            group.workers.append(r.worker_id)
            group.traits |= kinds_of.get(r.worker_id, set())
        group.proofs += 1
        group.cents += int(r.reward_cents or 0)
    return sorted(groups.values(), key=lambda g: (-g.proofs, -g.risk, g.key))

"""The queue list grouped: one row per worker, or one per ring of linked workers, so a backlog that
one farm fills reads as a few rows. Rings are the connected components of the view's accounts and
the traits they share (device fingerprint, hardware on one /24, home address, screenshot file),
with the gateway rule of app/review/services/cluster.py. Nothing here writes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa

from app.review.services.cluster import CARRIER_GATEWAY_ACCOUNTS, GATEWAY_ACCOUNTS
from app.review.services.queue import PENDING, QueueFilters, filtered_items
from models import Campaign, Proof, ReviewItem, db
from review_rules.ipintel import network_kinds
from review_rules.linkage import SHARED_BY_DESIGN, components

GROUPS = ("worker", "ring")
GROUP_ROWS = 100
RING_SAMPLE = 5_000  # riskiest items of the view read to find rings (each is a proof lookup: the list's time)


@dataclass
class Group:
    key: str  # the worker id, or the ring's riskiest worker
    workers: list[str]
    proofs: int
    cents: int
    risk: float
    top_proof: str  # the riskiest proof: its cluster and its page open from the row
    traits: set[str] = field(default_factory=set)


VIEW_COLUMNS = (ReviewItem.proof_id, ReviewItem.priority, ReviewItem.worker_id, ReviewItem.money_cents)
# The QA sample's items are decided, and a decided item no longer carries its worker and money (only a
# waiting one is kept sorted by them): they are read from the proof and its campaign instead.
DECIDED_COLUMNS = (ReviewItem.proof_id, ReviewItem.priority,
                   # correlated to the item only: a worker filter joins proofs into the outer query too
                   sa.select(Proof.worker_id).where(Proof.id == ReviewItem.proof_id).correlate(ReviewItem)
                   .scalar_subquery().label("worker_id"),
                   sa.select(Campaign.reward_cents).where(Campaign.id == ReviewItem.campaign_id).correlate(ReviewItem)
                   .scalar_subquery().label("money_cents"))


def _view(filters: QueueFilters, viewer_id: int, now: datetime, limit: int | None = None) -> sa.Subquery:
    """The view's items, or its `limit` riskiest. Pending tabs read the riskiest of each status along
    the (queue, status, priority) index and merge them, instead of sorting the whole backlog."""
    order = (ReviewItem.priority.desc(), ReviewItem.id)
    if filters.tab == "auto":  # the QA sample is decided: one branch
        query = filtered_items(list(DECIDED_COLUMNS), filters, viewer_id, now)
        return (query.order_by(*order).limit(limit) if limit else query).subquery()
    if not limit:
        return filtered_items(list(VIEW_COLUMNS), filters, viewer_id, now).subquery()
    branches = [sa.select(filtered_items([*VIEW_COLUMNS, ReviewItem.id], filters, viewer_id, now, status=status)
                          .order_by(*order).limit(limit).subquery()) for status in PENDING]
    merged = sa.union_all(*branches).subquery()
    return sa.select(*[merged.c[c.key] for c in VIEW_COLUMNS]) \
        .order_by(merged.c.priority.desc(), merged.c.id).limit(limit).subquery()


def by_worker(filters: QueueFilters, viewer_id: int, now: datetime, limit: int = GROUP_ROWS) -> list[Group]:
    """Workers of the view with their waiting proofs, money and highest risk; most proofs first.

    Worker and money are copied on the review item, so this is one pass over the queue's index."""
    view = _view(filters, viewer_id, now)
    count, top_risk = sa.func.count(), sa.func.max(view.c.priority)
    rows = db.session.execute(
        sa.select(view.c.worker_id, count, sa.func.sum(view.c.money_cents), top_risk)
        .group_by(view.c.worker_id).order_by(count.desc(), top_risk.desc(), view.c.worker_id).limit(limit)).all()
    tops = _riskiest({w for w, *_ in rows}, view)
    return [Group(worker, [worker], count, int(cents or 0), float(risk or 0.0), tops[worker])
            for worker, count, cents, risk in rows]


def _riskiest(workers: set[str], view: sa.Subquery) -> dict[str, str]:
    best: dict[str, tuple[float, str]] = {}
    for chunk in _chunks(workers):
        for worker, pid, priority in db.session.execute(
                sa.select(view.c.worker_id, view.c.proof_id, view.c.priority).where(view.c.worker_id.in_(chunk))):
            if worker not in best or (-priority, pid) < (-best[worker][0], best[worker][1]):
                best[worker] = (priority, pid)
    return {w: pid for w, (_, pid) in best.items()}


def _chunks(values: set[str], size: int = 900) -> list[list[str]]:
    ordered = sorted(values)
    return [ordered[i:i + size] for i in range(0, len(ordered), size)]


RING_COLUMNS = ("proof_id", "priority", "worker_id", "cents", "device", "canvas", "prefix", "ip", "asn_name",
                "asn_cidr", "screenshot")


def by_ring(filters: QueueFilters, viewer_id: int, now: datetime, limit: int = GROUP_ROWS) -> list[Group]:
    """Rings among the view's riskiest RING_SAMPLE items; an account linked to no other is its own row.

    Column-wise over the sample (one factorised pass per trait). The sample bounds the time: each item
    costs one lookup of its proof's traits (5,000 answer in about 100 ms over a million proofs)."""
    view = _view(filters, viewer_id, now, RING_SAMPLE)
    query = sa.select(view.c.proof_id, view.c.priority, view.c.worker_id, view.c.money_cents, Proof.device_fp_hash,
                      Proof.device_canvas_hash, Proof.ip_prefix_hash, Proof.ip_hash, Proof.ip_asn_name,
                      Proof.ip_asn_cidr, Proof.screenshot_sha256).select_from(view) \
        .join(Proof, Proof.id == view.c.proof_id)
    rows = db.session.connection().execute(query).all()  # plain rows: no ORM bookkeeping for thousands of them
    if not rows:
        return []
    frame = pd.DataFrame(dict(zip(RING_COLUMNS, zip(*rows, strict=True), strict=True)))
    worker_code, workers = pd.factorize(frame["worker_id"])
    label, linked = _rings(frame, worker_code, len(workers))
    return _ring_groups(frame, worker_code, label, linked, limit)


def _rings(frame: pd.DataFrame, worker_code: np.ndarray, n: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Ring label per worker code, and per kind of trait the worker codes it links to others."""
    network = network_kinds(frame["asn_name"], frame["asn_cidr"])
    ip = frame["ip"].to_numpy(dtype=object)
    hardware = [f"{c}@{p}" if c else None for c, p in zip(frame["canvas"], frame["prefix"], strict=True)]
    open_network = ~np.isin(network, SHARED_BY_DESIGN)
    traits = (("device", frame["device"].to_numpy(dtype=object)),
              ("screenshot", frame["screenshot"].to_numpy(dtype=object)),
              ("hardware", np.array(hardware, dtype=object)),
              ("address", np.where(open_network & (network != "carrier"), ip, None)),
              ("carrier", np.where(network == "carrier", ip, None)))
    sources, targets, linked, offset = [], [], {}, n
    for kind, values in traits:
        pairs = pd.DataFrame({"w": worker_code, "v": values}).dropna().drop_duplicates()
        sizes = pairs.groupby("v")["w"].transform("size")
        cap = CARRIER_GATEWAY_ACCOUNTS if kind == "carrier" else GATEWAY_ACCOUNTS
        pairs = pairs[(sizes >= 2) & (sizes <= cap)]
        if pairs.empty:
            continue
        value_code, distinct = pd.factorize(pairs["v"])
        codes = pairs["w"].to_numpy(dtype=np.int64)
        sources.append(codes)
        targets.append(value_code.astype(np.int64) + offset)
        offset += len(distinct)
        name = "address" if kind == "carrier" else kind
        linked[name] = np.union1d(linked.get(name, np.empty(0, dtype=np.int64)), codes)
    if not sources:
        return np.arange(n), linked
    label = components(np.concatenate(sources), np.concatenate(targets), offset)[:n]
    return label, linked


def _ring_groups(frame: pd.DataFrame, worker_code: np.ndarray, label: np.ndarray, linked: dict[str, np.ndarray],
                 limit: int) -> list[Group]:
    """Rings with most proofs first (then the highest risk, then the key worker), in numpy: rows are read
    riskiest first, so a ring's first row gives its risk, its top proof and its key worker."""
    proof_ids = frame["proof_id"].to_numpy(dtype=object)
    priority = frame["priority"].to_numpy(dtype=float)
    order = np.lexsort((pd.factorize(proof_ids, sort=True)[0], -priority))
    ring = label[worker_code][order]
    rings, first = np.unique(ring, return_index=True)
    proofs = np.bincount(np.searchsorted(rings, ring), minlength=len(rings))
    cents = np.bincount(np.searchsorted(rings, ring), minlength=len(rings),
                        weights=frame["cents"].fillna(0).to_numpy(dtype=float)[order])
    workers_sorted = frame["worker_id"].to_numpy(dtype=object)[order]
    keys = workers_sorted[first]
    chosen = np.lexsort((pd.factorize(keys, sort=True)[0], -priority[order][first], -proofs))[:limit]
    codes_sorted = worker_code[order]
    _, seen = np.unique(codes_sorted, return_index=True)
    seen.sort()  # each worker at its first (riskiest) row, in row order
    out = []
    for index in chosen:
        members = seen[ring[seen] == rings[index]]
        codes = codes_sorted[members]
        traits = {kind for kind, linked_codes in linked.items() if np.isin(codes, linked_codes).any()}
        out.append(Group(str(keys[index]), [str(w) for w in workers_sorted[members]], int(proofs[index]),
                         int(cents[index]), float(priority[order][first[index]]), str(proof_ids[order][first[index]]),
                         traits))
    return out

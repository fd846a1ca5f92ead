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
import pandas as pd
import sqlalchemy as sa

from app.review.services.cluster import CARRIER_GATEWAY_ACCOUNTS, GATEWAY_ACCOUNTS
from app.review.services.queue import QueueFilters, filtered_items
from models import Proof, ReviewItem, db
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


def _view(filters: QueueFilters, viewer_id: int, now: datetime, limit: int | None = None) -> sa.Subquery:
    query = filtered_items([ReviewItem.proof_id, ReviewItem.priority, ReviewItem.worker_id, ReviewItem.money_cents],
                           filters, viewer_id, now)
    if limit:
        query = query.order_by(ReviewItem.priority.desc(), ReviewItem.id).limit(limit)
    return query.subquery()


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
    label, kinds_of = _rings(frame, worker_code, len(workers))
    return _ring_groups(frame, worker_code, label, kinds_of, limit)


def _rings(frame: pd.DataFrame, worker_code: np.ndarray, n: int) -> tuple[np.ndarray, dict[int, set[str]]]:
    """Ring label per worker code, and the kinds of trait that link each linked worker."""
    network = network_kinds(frame["asn_name"], frame["asn_cidr"])
    ip = frame["ip"].to_numpy(dtype=object)
    hardware = [f"{c}@{p}" if c else None for c, p in zip(frame["canvas"], frame["prefix"], strict=True)]
    open_network = ~np.isin(network, SHARED_BY_DESIGN)
    traits = (("device", frame["device"].to_numpy(dtype=object)),
              ("screenshot", frame["screenshot"].to_numpy(dtype=object)),
              ("hardware", np.array(hardware, dtype=object)),
              ("address", np.where(open_network & (network != "carrier"), ip, None)),
              ("carrier", np.where(network == "carrier", ip, None)))
    sources, targets, kinds_of, offset = [], [], defaultdict(set), n
    for kind, values in traits:
        pairs = pd.DataFrame({"w": worker_code, "v": values}).dropna().drop_duplicates()
        sizes = pairs.groupby("v")["w"].transform("size")
        cap = CARRIER_GATEWAY_ACCOUNTS if kind == "carrier" else GATEWAY_ACCOUNTS
        pairs = pairs[(sizes >= 2) & (sizes <= cap)]
        if pairs.empty:
            continue
        value_code, distinct = pd.factorize(pairs["v"])
        sources.append(pairs["w"].to_numpy(dtype=np.int64))
        targets.append(value_code.astype(np.int64) + offset)
        offset += len(distinct)
        for w in np.unique(pairs["w"].to_numpy()):
            kinds_of[int(w)].add("address" if kind == "carrier" else kind)
    if not sources:
        return np.arange(n), kinds_of
    label = components(np.concatenate(sources), np.concatenate(targets), offset)[:n]
    return label, kinds_of


def _ring_groups(frame: pd.DataFrame, worker_code: np.ndarray, label: np.ndarray, kinds_of: dict[int, set[str]],
                 limit: int) -> list[Group]:
    frame = frame.assign(ring=label[worker_code], w=worker_code, cents=frame["cents"].fillna(0))
    ordered = frame.sort_values(["priority", "proof_id"], ascending=[False, True], kind="stable")
    rings = ordered.groupby("ring", sort=False).agg(
        proofs=("proof_id", "size"), cents=("cents", "sum"), risk=("priority", "first"), top=("proof_id", "first"),
        key=("worker_id", "first"))
    rings = rings.sort_values(["proofs", "risk", "key"], ascending=[False, False, True], kind="stable").head(limit)
    first_seen = ordered.drop_duplicates("w")
    members = first_seen[first_seen["ring"].isin(rings.index)].groupby("ring", sort=False)
    names, codes = members["worker_id"].agg(list), members["w"].agg(list)
    out = []
    for ring, row in rings.iterrows():
        traits = set().union(*(kinds_of.get(int(w), set()) for w in codes[ring]))
        out.append(Group(row["key"], list(names[ring]), int(row["proofs"]), int(row["cents"]), float(row["risk"]),
                         row["top"], traits))
    return out

"""Feedback from a fraud rejection: find the pending proofs of every account linked to it.

Accounts are linked when their proofs share a device fingerprint, a hardware (canvas) hash or an
IP address; following those links a few hops gives the ring. A key shared by very many accounts
(a carrier CGNAT address, a popular phone model's canvas) is a hub, not evidence of a ring, so it
is not followed beyond the first hop. Queries run per hop over sets of keys, never per proof.
"""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from models import Proof, ProofState, ReviewItem, db

LINK_COLUMNS = ("device_fp_hash", "device_canvas_hash", "ip_hash")
MAX_HOPS = 3
HUB_ACCOUNTS = 50  # a key on more accounts than this is not followed past the first hop
MAX_ACCOUNTS = 5000
LOOKBACK = timedelta(days=60)
CHUNK = 900  # SQLite's bound-parameter limit


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


def _keys_of(workers: set[str], since) -> dict[str, set[str]]:  # noqa: ANN001 - datetime
    """The link keys used by these workers' recent proofs, per link column."""
    keys: dict[str, set[str]] = {c: set() for c in LINK_COLUMNS}
    columns = [getattr(Proof, c) for c in LINK_COLUMNS]
    for chunk in _chunks(sorted(workers)):
        for row in db.session.execute(sa.select(*columns).where(Proof.worker_id.in_(chunk),
                                                                Proof.submitted_at >= since)):
            for name, value in zip(LINK_COLUMNS, row, strict=True):
                if value:
                    keys[name].add(value)
    return keys


def _workers_on(keys: dict[str, set[str]], since, follow_hubs: bool) -> set[str]:  # noqa: ANN001
    """Accounts whose recent proofs use any of the keys; hub keys only when `follow_hubs`."""
    found: set[str] = set()
    for name, values in keys.items():
        column = getattr(Proof, name)
        for chunk in _chunks(sorted(values)):
            rows = db.session.execute(
                sa.select(column, sa.func.count(sa.distinct(Proof.worker_id)))
                .where(column.in_(chunk), Proof.submitted_at >= since).group_by(column)).all()
            usable = [key for key, accounts in rows if follow_hubs or accounts <= HUB_ACCOUNTS]
            for sub in _chunks(usable):
                found.update(db.session.scalars(sa.select(Proof.worker_id).distinct().where(
                    column.in_(sub), Proof.submitted_at >= since)))
    return found


def linked_workers(proof_id: str, max_hops: int = MAX_HOPS) -> set[str]:
    """The account behind `proof_id` and every account linked to it, up to `max_hops` links away."""
    proof = db.session.get(Proof, proof_id)
    if proof is None:
        return set()
    since = proof.submitted_at - LOOKBACK
    seen = {proof.worker_id}
    frontier = {proof.worker_id}
    for hop in range(max_hops):
        found = _workers_on(_keys_of(frontier, since), since, follow_hubs=hop == 0) - seen
        if not found:
            break
        seen |= found
        if len(seen) >= MAX_ACCOUNTS:
            break
        frontier = found
    return seen


def pending_proofs_of(workers: set[str]) -> list[str]:
    """Proofs of these accounts waiting in the review queue (in review, no decision yet)."""
    ids: list[str] = []
    for chunk in _chunks(sorted(workers)):
        ids.extend(db.session.scalars(
            sa.select(Proof.id).join(ReviewItem, ReviewItem.proof_id == Proof.id)
            .where(Proof.worker_id.in_(chunk), Proof.state == ProofState.IN_REVIEW.value,
                   ReviewItem.status != "decided")))
    return sorted(set(ids))


def linked_pending_proofs(proof_id: str) -> list[str]:
    """What a fraud rejection of `proof_id` should send back through scoring."""
    return pending_proofs_of(linked_workers(proof_id))

"""What fraud patterns share: a registry keyed by pattern name, accounts, coordinated events."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .batch import NONE, ProofBatch, timing
from .context import DAY, HOUR, World


@dataclass(frozen=True)
class Pattern:
    """A fraud pattern generator and how many proofs one of its accounts makes on average."""

    name: str
    build: Callable[[FraudJob], ProofBatch]
    proofs_per_account: float
    reason: str  # the reason code moderators gave when they rejected it


REGISTRY: dict[str, Pattern] = {}


def register(name: str, proofs_per_account: float, reason: str):
    """Register a pattern generator under its stable name."""
    def wrap(fn: Callable[[FraudJob], ProofBatch]) -> Callable[[FraudJob], ProofBatch]:
        REGISTRY[name] = Pattern(name, fn, proofs_per_account, reason)
        return fn
    return wrap


@dataclass
class FraudJob:
    """Inputs of one pattern run: the world, how many proofs and accounts, its random streams."""

    world: World
    pattern: str
    n_proofs: int
    n_accounts: int
    rng: np.random.Generator
    r: random.Random
    campaign_weights: np.ndarray  # where rings of this pattern may work


def ring_sizes(r: random.Random, n_accounts: int, lo: int, hi: int, at_least: int = 1) -> list[int]:
    """Split n_accounts into rings of lo..hi members (the last ring takes the rest), smaller
    rings when that is needed to have `at_least` of them."""
    hi = max(1, min(hi, n_accounts // max(at_least, 1)))
    lo = min(lo, hi)
    sizes: list[int] = []
    left = n_accounts
    while left > 0:
        size = min(left, r.randint(lo, hi))
        if 0 < left - size < lo and sizes:
            size = left
        sizes.append(size)
        left -= size
    return sizes


def variants_for(r: random.Random, n: int, names: tuple[str, ...], weights: tuple[float, ...]) -> list[str]:
    """A variation per ring: every variation once (when there are enough rings), then by weight."""
    first = list(names)
    r.shuffle(first)
    return first[:n] + r.choices(names, weights, k=max(0, n - len(names)))


def batch_created(r: random.Random, n: int, day: int, spread: int) -> list[int]:
    """Registration times of accounts made in one sitting: `day`, within `spread` seconds."""
    start = day * DAY + r.randint(9 * HOUR, 22 * HOUR)
    return sorted(start + r.randrange(max(spread, 1)) for _ in range(n))


class Slots:
    """Device rows of accounts (a few per account), picked per proof."""

    def __init__(self, n: int, width: int = 4) -> None:
        self.rows = np.full((n, width), NONE, dtype=np.int64)
        self.count = np.zeros(n, dtype=np.int64)
        self.ua = np.full(n, NONE, dtype=np.int64)  # user agent of accounts that send no device

    def add(self, account: int, device: int, ua: int = NONE) -> None:
        """Give a device row to an account (ignored beyond the width)."""
        if ua != NONE:
            self.ua[account] = ua
        k = int(self.count[account])
        if k < self.rows.shape[1]:
            self.rows[account, k] = device
            self.count[account] = k + 1

    def pick(self, rng: np.random.Generator, accounts: np.ndarray, primary: float = 0.8) -> np.ndarray:
        """A device row per proof: mostly the account's first one."""
        n = len(accounts)
        count = np.maximum(self.count[accounts], 1)
        k = np.where(rng.random(n) < primary, 0, rng.integers(0, 4, n) % count)
        return self.rows[accounts, k]

    def user_agents(self, world: World, accounts: np.ndarray, device: np.ndarray) -> np.ndarray:
        """The user agent of each proof: the device's browser, else the account's client."""
        from_device = np.array([world.ua_for_device(d) for d in device.tolist()], dtype=np.int64)
        return np.where(device == NONE, self.ua[accounts], from_device)


def events(job: FraudJob, rings: list[np.ndarray], participation: tuple[float, float], spread: int,
           in_session: float = 0.9, gap: tuple[int, int] | None = None) -> tuple[np.ndarray, ...]:
    """Coordinated bursts: a ring takes one campaign together, again and again.

    Returns (campaign, member, accepted, ring index) for exactly job.n_proofs proofs. Members
    accept within `spread` seconds of the burst start, or one after the other `gap` seconds
    apart (a single operator working through accounts).
    """
    rng, world = job.rng, job.world
    sizes = np.array([len(x) for x in rings], dtype=float)
    per_event = max(1.0, float((sizes * sizes).sum() / sizes.sum()) * sum(participation) / 2)
    n_events = int(job.n_proofs / per_event * 1.3) + 4
    p = job.campaign_weights / job.campaign_weights.sum()
    camp = rng.choice(len(p), size=n_events, p=p)
    t0 = world.times_for(rng, camp, rng.random(n_events) < in_session)
    which = rng.choice(len(rings), size=n_events, p=sizes / sizes.sum())
    cols: dict[str, list] = {"c": [], "m": [], "t": [], "g": []}
    total = 0
    e = 0
    while total < job.n_proofs:
        if e == n_events:  # rare: draw more bursts
            more = events(FraudJob(world, job.pattern, job.n_proofs - total, job.n_accounts, rng, job.r,
                                   job.campaign_weights), rings, participation, spread, in_session, gap)
            for key, arr in zip("cmtg", more, strict=True):
                cols[key].append(arr)
            total = job.n_proofs
            break
        members = rings[which[e]]
        share = rng.uniform(*participation)
        k = min(max(1, int(round(len(members) * share))), job.n_proofs - total)
        chosen = rng.permutation(members)[:k]
        if gap is None:
            offsets = np.sort(rng.integers(0, max(spread, 1), k))
        else:
            offsets = np.cumsum(rng.integers(gap[0], gap[1] + 1, k)) - gap[0]
        cols["c"].append(np.full(k, camp[e]))
        cols["m"].append(chosen)
        cols["t"].append(t0[e] + offsets)
        cols["g"].append(np.full(k, which[e]))
        total += k
        e += 1
    return tuple(np.concatenate(cols[key]).astype(np.int64) for key in "cmtg")


def scattered(job: FraudJob, rings: list[np.ndarray], in_session: float) -> tuple[np.ndarray, ...]:
    """Uncoordinated work: each proof by some ring member, on its own campaign and time.

    Returns (campaign, member, accepted, ring index) for exactly job.n_proofs proofs.
    """
    rng, world = job.rng, job.world
    members = np.concatenate(rings)
    ring_of = np.repeat(np.arange(len(rings)), [len(x) for x in rings])
    activity = rng.lognormal(0.0, 0.6, len(members))
    pick = rng.choice(len(members), size=job.n_proofs, p=activity / activity.sum())
    p = job.campaign_weights / job.campaign_weights.sum()
    camp = rng.choice(len(p), size=job.n_proofs, p=p)
    accepted = world.times_for(rng, camp, rng.random(job.n_proofs) < in_session)
    return camp.astype(np.int64), members[pick].astype(np.int64), accepted, ring_of[pick].astype(np.int64)


def share_split(rng: np.random.Generator, total: int, weights: np.ndarray) -> np.ndarray:
    """Split an integer total by weights, exactly (largest remainder)."""
    raw = total * weights / weights.sum()
    out = np.floor(raw).astype(np.int64)
    rest = total - int(out.sum())
    if rest:
        order = np.argsort(-(raw - out) + rng.random(len(raw)) * 1e-9, kind="stable")
        out[order[:rest]] += 1
    return out


def flip_bits(rng: np.random.Generator, values: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Flip lo..hi distinct random bits of each 64-bit value (a re-encoded or cropped image)."""
    out = values.astype(np.uint64).copy()
    counts = rng.integers(lo, hi + 1, len(out))
    for i, k in enumerate(counts.tolist()):
        for b in rng.choice(64, size=k, replace=False).tolist():
            out[i] ^= np.uint64(1) << np.uint64(b)
    return out


def assemble(job: FraudJob, camp: np.ndarray, worker: np.ndarray, accepted: np.ndarray, ip: np.ndarray,
             device: np.ndarray, kind: list[str], ring: list[str], *, ua: np.ndarray | None = None,
             comment: list | None = None, sha: list | None = None, phash: np.ndarray | None = None,
             clock: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> ProofBatch:
    """A ProofBatch from per-proof columns; human timing, fresh screenshots and honest-looking
    comments unless the pattern passes its own."""
    world, rng = job.world, job.rng
    n = len(camp)
    action = world.camp["action"][camp]
    start_delay, submitted, watch = clock or timing(rng, action, world.camp["min_watch"][camp], accepted)
    if ua is None:
        ua = np.array([world.ua_for_device(d) for d in device.tolist()], dtype=np.int64)
    if comment is None:
        comment = world.viewer_comments(job.r, camp)
    return ProofBatch(
        campaign=camp, worker=worker, accepted=accepted, start_delay=start_delay, submitted=submitted,
        ip=ip, device=device, ua=ua, watch=watch, comment=comment,
        sha=sha if sha is not None else world.fresh_sha(rng, n),
        phash=phash if phash is not None else world.fresh_phash(rng, camp),
        pattern=[job.pattern] * n, kind=kind, ring=ring)


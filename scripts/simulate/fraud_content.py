"""Fraud that shows in the content of proofs: reused screenshots and pasted comments."""

from __future__ import annotations

import numpy as np

from .batch import ProofBatch
from .comments import RING_BASES, fill, near_duplicate
from .context import DAY
from .honest import APP_SHARE, APPS, hourly_mobile_ips
from .rings import FraudJob, Slots, assemble, events, flip_bits, register, ring_sizes, scattered, variants_for

SHOT_VARIANTS = ("exact", "near", "self")


def _clean_accounts(job: FraudJob, size: int, slots: Slots, first: int) -> np.ndarray:
    """Ordinary-looking accounts of mixed age on their own phones."""
    world, r = job.world, job.r
    created = [-r.randint(1, 900) * DAY - r.randrange(DAY) for _ in range(size)]
    local = world.add_workers(r, size, created=created) - first
    for a in local.tolist():
        slots.add(a, world.honest_device(r, int(a + first), r.choices(APPS, APP_SHARE)[0])[0])
    return local


@register("screenshot_reuse", proofs_per_account=8, reason="duplicate_screenshot")
def screenshot_reuse(job: FraudJob) -> ProofBatch:
    """Proofs whose screenshot was not taken for this task.

    Variations: `exact` (a ring shares a few screenshots per campaign: identical sha256),
    `near` (the shared picture re-encoded or cropped: new sha256, perceptual hash 1-4 bits
    away), `self` (one account submits its own old screenshot again and again, across
    campaigns). Many submit without having watched: a third fall outside live sessions.
    """
    world, rng, r = job.world, job.rng, job.r
    first = len(world.workers)
    slots = Slots(job.n_accounts)
    sizes = ring_sizes(r, job.n_accounts, 5, 30, at_least=len(SHOT_VARIANTS))
    variants = variants_for(r, len(sizes), SHOT_VARIANTS, (0.4, 0.35, 0.25))
    rings = [_clean_accounts(job, size, slots, first) for size in sizes]
    camp, member, accepted, ring = scattered(job, rings, in_session=0.7)
    n = len(camp)
    sha = world.fresh_sha(rng, n)
    phash = world.fresh_phash(rng, camp)
    source = np.arange(n)  # the proof whose screenshot each proof reuses (itself: none)
    near = np.zeros(n, dtype=bool)
    originals: dict[tuple[int, ...], int] = {}
    variant_of = [variants[g] for g in ring.tolist()]
    for i, (g, c, m, variant) in enumerate(zip(ring.tolist(), camp.tolist(), member.tolist(), variant_of, strict=True)):
        key = (m,) if variant == "self" else (g, c) if variant == "near" else (g, c, r.randrange(3))
        source[i] = originals.setdefault(key, i)
        near[i] = source[i] != i and (variant == "near" or (variant == "self" and r.random() < 0.5))
    exact = (source != np.arange(n)) & ~near
    for i in np.flatnonzero(exact).tolist():
        sha[i] = sha[source[i]]
    phash = phash[source]
    phash[near] = flip_bits(rng, phash[near], 1, 4)
    return assemble(job, camp, member + first, accepted, hourly_mobile_ips(world, rng, member + first, accepted),
                    slots.pick(rng, member, primary=1.0), kind=[f"screenshot_{v}" for v in variant_of],
                    ring=[f"screenshot_reuse-{g + 1}" for g in ring.tolist()], sha=sha, phash=phash)


COMMENT_VARIANTS = ("template", "paste", "rotation")


@register("comment_ring", proofs_per_account=8, reason="duplicate_comment")
def comment_ring(job: FraudJob) -> ProofBatch:
    """Many accounts pasting the same comment with small edits on the same campaigns.

    Variations: `template` (one base per ring and campaign, 0-3 edits each), `paste` (one
    generic praise pasted everywhere, at most one edit), `rotation` (4-6 bases in turn with 1-4
    edits: fewer exact repeats, still near-duplicates). Accounts and networks look clean.
    """
    world, rng, r = job.world, job.rng, job.r
    first = len(world.workers)
    slots = Slots(job.n_accounts)
    sizes = ring_sizes(r, job.n_accounts, 10, 40, at_least=len(COMMENT_VARIANTS))
    variants = variants_for(r, len(sizes), COMMENT_VARIANTS, (0.45, 0.25, 0.3))
    rings = [_clean_accounts(job, size, slots, first) for size in sizes]
    weights = np.where(world.camp["action"] == 1, job.campaign_weights, 0.0)
    if weights.sum() == 0:
        weights = job.campaign_weights
    sub = FraudJob(world, job.pattern, job.n_proofs, job.n_accounts, rng, r, weights)
    camp, member, accepted, ring = events(sub, rings, (0.4, 0.9), 1800, in_session=0.9)
    bases: dict[tuple[int, int], str] = {}
    comments: list[str | None] = []
    for g, c in zip(ring.tolist(), camp.tolist(), strict=True):
        variant = variants[g]
        room = int(world.camp["room"][c])
        brand = world.brands[int(world.camp["brand"][c])]["name"]
        slot = {"template": c, "paste": -1, "rotation": r.randrange(5)}[variant]
        base = bases.setdefault((g, slot), fill(r.choice(RING_BASES) if variant != "paste" else RING_BASES[-1],
                                                r, world.room_category[room], brand))
        edits = {"template": r.randint(0, 3), "paste": r.randint(0, 1), "rotation": r.randint(1, 4)}[variant]
        comments.append(near_duplicate(base, r, edits))
    return assemble(sub, camp, member + first, accepted, hourly_mobile_ips(world, rng, member + first, accepted),
                    slots.pick(rng, member, primary=1.0), kind=[f"comment_{variants[g]}" for g in ring.tolist()],
                    ring=[f"comment_ring-{g + 1}" for g in ring.tolist()], comment=comments)

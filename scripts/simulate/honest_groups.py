"""Honest groups built to trip the coordination and shared-address signals.

- A campus or an office: dozens of people behind one education-network address, each on their
  own phone, each on their own timing (lectures end at different times for different people).
- A promotion's new accounts: a cohort registered on the same day by a sign-up campaign, all
  taking the promoted campaign within days, each at their own moment, then going their own ways.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .batch import ProofBatch
from .context import DAY, HOUR

if TYPE_CHECKING:
    from .honest import HonestPopulation

CAMPUS_SHARE = 0.05  # of honest proofs, in worlds of at least GROUPS_FROM proofs
PROMO_SHARE = 0.03
GROUPS_FROM = 2000


def campus_proofs(pop: HonestPopulation, n: int, campaign_weights: np.ndarray, eligible: np.ndarray) -> ProofBatch:
    """n proofs by members of a few campuses, from the campus address, at their own times."""
    rng, world = pop.rng, pop.world
    sizes = []
    while sum(sizes) < min(len(eligible), max(15, n // 8)):
        sizes.append(int(rng.integers(15, 41)))
    members = rng.permutation(eligible)[:sum(sizes)]
    campus = np.repeat(np.arange(len(sizes)), sizes)[:len(members)]
    address = world.ips.sample(rng, len(sizes), kind="cn_edu")
    pick = rng.integers(0, len(members), n)
    p = campaign_weights / campaign_weights.sum()
    camp = rng.choice(len(p), size=n, p=p)
    accepted = world.times_for(rng, camp, rng.random(n) < 0.95)
    kinds = ["honest_campus"] * n
    return pop._finish(members[pick], camp, accepted, address[campus[pick]], kinds)  # noqa: SLF001


def promo_proofs(pop: HonestPopulation, n: int, campaign_weights: np.ndarray, members: np.ndarray) -> ProofBatch:
    """n proofs by a sign-up cohort: registered on one day, the promoted campaign first (each when
    they get to it, hours to days later), then other campaigns at their own pace."""
    rng, world = pop.rng, pop.world
    p = campaign_weights / campaign_weights.sum()
    promoted = int(rng.choice(len(p), p=p))
    lo, hi = (int(x[0]) for x in world.active_window(np.array([promoted])))
    day = lo + int(rng.integers(0, max(hi - lo - 3 * DAY, 1)))
    created = day + rng.integers(0, 14 * HOUR, len(members))
    for w, t in zip(pop.ids[members].tolist(), created.tolist(), strict=True):
        world.workers.created[w] = int(t)
    first_task = np.minimum(created + (rng.lognormal(np.log(8 * HOUR), 1.0, len(members))).astype(np.int64),
                            hi - 1)
    who = [np.arange(len(members))]
    camp = [np.full(len(members), promoted)]
    accepted = [first_task]
    rest = max(n - len(members), 0)
    if rest:
        extra = rng.integers(0, len(members), rest)
        later = first_task[extra] + rng.integers(HOUR, 10 * DAY, rest)
        later = np.minimum(later, world.period - 3 * HOUR)
        c, t = world.live_campaign_at(rng, later, campaign_weights)
        who.append(extra)
        camp.append(c)
        accepted.append(t)
    who_a = np.concatenate(who)[:n]
    return pop._finish(members[who_a], np.concatenate(camp)[:n].astype(np.int64),  # noqa: SLF001
                       np.concatenate(accepted)[:n].astype(np.int64), pop._ips(members[who_a],  # noqa: SLF001
                                                                                 np.concatenate(accepted)[:n]),
                       ["honest_promo"] * min(n, len(who_a)))

"""Fraud that hides every per-proof trait: dormant stock accounts waking together, and bots on a
timer behind mobile-carrier addresses with clean devices. Only coordination or rhythm gives them away."""

from __future__ import annotations

import numpy as np

from .batch import ProofBatch, timing
from .context import DAY, HOUR
from .honest import APP_SHARE, APPS, hourly_mobile_ips
from .rings import FraudJob, Slots, assemble, register, ring_sizes, share_split, variants_for

MINUTE = 60


def _clean_accounts(job: FraudJob, size: int, age_days: tuple[int, int]) -> tuple[np.ndarray, Slots, int]:
    """`size` aged accounts (registered on different days, long ago), each with its own clean phone."""
    world, r = job.world, job.r
    first = len(world.workers)
    created = [-(r.randint(*age_days) * DAY + r.randrange(DAY)) for _ in range(size)]
    local = world.add_workers(r, size, created=created) - first
    slots = Slots(size)
    for a in local.tolist():
        slots.add(a, world.honest_device(r, int(a + first), r.choices(APPS, APP_SHARE)[0])[0])
    return local, slots, first


@register("dormant_wake", proofs_per_account=6, reason="coordinated_activity")
def dormant_wake(job: FraudJob) -> ProofBatch:
    """Stock accounts bought or farmed long ago, idle for weeks, switched on together.

    Months-old accounts registered on unrelated days, clean phones, fresh carrier addresses,
    honest-looking comments, human task timing; nothing before the wake day. Then the ring takes
    the same campaigns together for a few days (`wake_tight`: nearly all members within five
    minutes; `wake_loose`: a changing majority within half an hour)."""
    world, rng, r = job.world, job.rng, job.r
    sizes = ring_sizes(r, job.n_accounts, 6, 15, at_least=2)
    budget = share_split(rng, job.n_proofs, np.array(sizes, dtype=float))
    latest = max(world.period // DAY - 3, 1)
    out = []
    for g, (tight, size, n) in enumerate(zip(variants_for(r, len(sizes), (True, False), (0.5, 0.5)), sizes,
                                             budget.tolist(), strict=True)):
        if n == 0:
            continue
        local, slots, first = _clean_accounts(job, size, (90, 900))
        wake = r.randint(min(15, latest), latest) * DAY
        spread, share = (5 * MINUTE, (0.8, 1.0)) if tight else (30 * MINUTE, (0.55, 0.8))
        camp, member, accepted = [], [], []
        while len(member) < n:
            t0 = np.array([wake + r.randrange(3 * DAY)])
            c, t0 = world.live_campaign_at(rng, t0, job.campaign_weights)
            k = min(max(2, int(round(size * rng.uniform(*share)))), n - len(member), size)
            chosen = rng.permutation(local)[:k]
            member += chosen.tolist()
            camp += [int(c[0])] * k
            accepted += (t0[0] + np.sort(rng.integers(0, spread, k))).tolist()
        member_a = np.array(member, dtype=np.int64)
        accepted_a = np.array(accepted, dtype=np.int64)
        ip = hourly_mobile_ips(world, rng, member_a + first, accepted_a)
        label = "wake_tight" if tight else "wake_loose"
        out.append(assemble(job, np.array(camp, dtype=np.int64), member_a + first, accepted_a, ip,
                            slots.pick(rng, member_a, primary=1.0), kind=[label] * len(member),
                            ring=[f"dormant-{g + 1}"] * len(member)))
    return ProofBatch.concat(out)


@register("carrier_bot", proofs_per_account=40, reason="bot")
def carrier_bot(job: FraudJob) -> ProofBatch:
    """A script on real phones: clean device, no automation flag, a mobile-carrier address that
    changes every hour, honest-looking comments; but it takes a task every P minutes for hours
    on end, and does each in the same number of seconds (`bot_fixed`: a few seconds of jitter;
    `bot_jitter`: up to a tenth of the period)."""
    world, rng, r = job.world, job.rng, job.r
    sizes = ring_sizes(r, job.n_accounts, 2, 6, at_least=2)
    budget = share_split(rng, job.n_proofs, np.array(sizes, dtype=float))
    out = []
    for g, (fixed, size, n) in enumerate(zip(variants_for(r, len(sizes), (True, False), (0.5, 0.5)), sizes,
                                             budget.tolist(), strict=True)):
        if n == 0:
            continue
        local, slots, first = _clean_accounts(job, size, (30, 400))
        per = share_split(rng, n, np.ones(size))
        camp, member, accepted = [], [], []
        for a, m in zip(local.tolist(), per.tolist(), strict=True):
            period = r.randint(6, 20) * MINUTE
            jitter = 4 if fixed else max(5, period // 10)
            start, done = r.randrange(max(world.period - 2 * DAY, 1)), 0
            while done < m:  # runs of 10-40 tasks, then a pause; the rhythm within a run is the tell
                run = min(m - done, r.randint(10, 40))
                t = start + np.arange(run) * period + rng.integers(-jitter, jitter + 1, run)
                t = np.clip(t, 0, world.period - 2 * HOUR)
                c, t = world.live_campaign_at(rng, t, job.campaign_weights)
                camp += c.tolist()
                accepted += t.tolist()
                member += [a] * run
                done += run
                start = int(t[-1]) + r.randint(2, 30) * HOUR
                if start >= world.period - 2 * HOUR:
                    start = r.randrange(max(world.period - 2 * DAY, 1))
        camp_a, member_a = np.array(camp, dtype=np.int64), np.array(member, dtype=np.int64)
        accepted_a = np.array(accepted, dtype=np.int64)
        action = world.camp["action"][camp_a]
        start_delay, _, watch = timing(rng, action, world.camp["min_watch"][camp_a], accepted_a)
        start_delay[:] = 3
        busy = np.where(action == 2, watch + 2, 20)  # the same seconds every time
        clock = (start_delay, accepted_a + start_delay + busy, watch)
        ip = hourly_mobile_ips(world, rng, member_a + first, accepted_a)
        label = "bot_fixed" if fixed else "bot_jitter"
        out.append(assemble(job, camp_a, member_a + first, accepted_a, ip, slots.pick(rng, member_a, primary=1.0),
                            kind=[label] * len(camp), ring=[f"carrier-bot-{g + 1}"] * len(camp), clock=clock))
    return ProofBatch.concat(out)

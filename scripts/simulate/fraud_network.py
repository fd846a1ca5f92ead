"""Fraud that shows in networks and coordination: proxy rings, collusion rings, lockstep rings."""

from __future__ import annotations

import numpy as np

from . import devices as dev
from .batch import ProofBatch
from .comments import COLLUSION_BASES, fill, near_duplicate
from .context import DAY, HOUR
from .honest import APP_SHARE, APPS, CARRIERS, hourly_mobile_ips, keyed_ips
from .rings import (
    FraudJob,
    Slots,
    assemble,
    batch_created,
    events,
    register,
    ring_sizes,
    scattered,
    share_split,
    variants_for,
)
from .vocab import FOREIGN_TIMEZONES

PROXY_VARIANTS = ("datacenter", "residential", "tz_mismatch", "cn_pool")


@register("proxy_ring", proofs_per_account=12, reason="proxy_ip")
def proxy_ring(job: FraudJob) -> ProofBatch:
    """Accounts that hop through proxies: a new address for nearly every proof.

    Variations: `datacenter` (hosting and Tor exits abroad while the device says
    Asia/Shanghai), `residential` (foreign consumer ISPs, like an honest VPN user but a
    different one each time), `tz_mismatch` (Chinese carrier addresses but a device time zone
    abroad), `cn_pool` (a Chinese proxy pool of cloud and carrier addresses: only the number
    of addresses per account gives it away).
    """
    world, rng, r = job.world, job.rng, job.r
    first = len(world.workers)
    sizes = ring_sizes(r, job.n_accounts, 5, 20, at_least=len(PROXY_VARIANTS))
    variants = variants_for(r, len(sizes), PROXY_VARIANTS, (0.3, 0.25, 0.25, 0.2))
    slots = Slots(job.n_accounts)
    rings = []
    for size, variant in zip(sizes, variants, strict=True):
        created = [-r.randint(2, 700) * DAY - r.randrange(DAY) for _ in range(size)]
        local = world.add_workers(r, size, created=created) - first
        for a in local.tolist():
            tz = r.choice(FOREIGN_TIMEZONES) if variant == "tz_mismatch" else "Asia/Shanghai"
            lang = "en-US" if variant == "tz_mismatch" and r.random() < 0.4 else "zh-CN"
            for _ in range(r.choice((1, 1, 1, 2, 3))):
                model = r.choice(dev.PHONE_MODELS)
                device, ua = dev.real_device(r, model, r.choices(APPS, APP_SHARE)[0], tz, lang)
                slots.add(a, world.add_device(device, ua)[0])
        rings.append(local)
    camp, member, accepted, ring = scattered(job, rings, in_session=0.9)
    ip = np.empty(len(camp), dtype=np.int64)
    for g, variant in enumerate(variants):
        sel = np.flatnonzero(ring == g)
        ip[sel] = _proxy_ips(job, variant, len(sel))
    return assemble(job, camp, member + first, accepted, ip, slots.pick(rng, member, primary=0.6),
                    kind=[f"proxy_{variants[g]}" for g in ring.tolist()],
                    ring=[f"proxy_ring-{g + 1}" for g in ring.tolist()])


def _proxy_ips(job: FraudJob, variant: str, n: int) -> np.ndarray:
    world, rng = job.world, job.rng
    if variant == "datacenter":
        tor = rng.random(n) < 0.3
        out = world.ips.sample(rng, n, kind="hosting")
        out[tor] = world.ips.sample(rng, int(tor.sum()), kind="tor")
        return out
    if variant == "residential":
        return world.ips.sample(rng, n, kind="foreign_isp")
    if variant == "tz_mismatch":
        return keyed_ips(world, rng, np.arange(n), rng.integers(0, 3, n))
    cloud = rng.random(n) < 0.5
    out = keyed_ips(world, rng, np.arange(n), rng.integers(0, 3, n))
    out[cloud] = world.ips.sample(rng, int(cloud.sum()), kind="cn_cloud")
    return out


@register("lockstep", proofs_per_account=10, reason="coordinated_activity")
def lockstep(job: FraudJob) -> ProofBatch:
    """A ring that hides every per-account trait but moves together.

    Distinct clean phones, fresh carrier addresses, varied comments, accounts months old. But
    the accounts were registered on the same day (`tight`: within the hour), and the same set
    of them takes the same campaign within minutes, campaign after campaign (`tight`: within
    two minutes, nearly all members; `loose`: within ten minutes, a changing majority).
    """
    world, rng, r = job.world, job.rng, job.r
    first = len(world.workers)
    sizes = ring_sizes(r, job.n_accounts, 8, 25, at_least=2)
    slots = Slots(job.n_accounts)
    parts = []
    for tight, size in zip(variants_for(r, len(sizes), (True, False), (0.5, 0.5)), sizes, strict=True):
        day = -r.randint(60, 600)
        created = batch_created(r, size, day, HOUR if tight else 14 * HOUR)
        local = world.add_workers(r, size, created=created) - first
        for a in local.tolist():
            slots.add(a, world.honest_device(r, int(a + first), r.choices(APPS, APP_SHARE)[0])[0])
        parts.append((local, tight))
    out = []
    budget = share_split(rng, job.n_proofs, np.array([len(x) for x, _ in parts], dtype=float))
    for g, ((local, tight), n) in enumerate(zip(parts, budget.tolist(), strict=True)):
        if n == 0:
            continue
        sub = FraudJob(world, job.pattern, n, len(local), rng, r, job.campaign_weights)
        spread, share = (120, (0.85, 1.0)) if tight else (600, (0.6, 0.85))
        camp, member, accepted, _ = events(sub, [local], share, spread, in_session=0.95)
        ip = hourly_mobile_ips(world, rng, member + first, accepted)
        label = "lockstep_tight" if tight else "lockstep_loose"
        out.append(assemble(sub, camp, member + first, accepted, ip, slots.pick(rng, member, primary=1.0),
                            kind=[label] * len(camp), ring=[f"lockstep-{g + 1}"] * len(camp)))
    return ProofBatch.concat(out)


@register("brand_collusion", proofs_per_account=10, reason="collusion")
def brand_collusion(job: FraudJob) -> ProofBatch:
    """A brand whose campaigns are completed mostly by its own ring of linked accounts.

    One studio per colluding brand, its members of two kinds: `shared_device` (a handful of
    phones passed around, the visitor id often not even reset) and `shared_ip` (members' own
    phones). Both mostly work from the studio's few broadband lines. Comments read like
    satisfied buyers. Only the colluding brands' campaigns are touched; their briefs ask for
    deceptive engagement.
    """
    world, rng, r = job.world, job.rng, job.r
    first = len(world.workers)
    brands = world.collusion_brands[: max(1, job.n_accounts)]
    split = [job.n_accounts // len(brands) + (i < job.n_accounts % len(brands)) for i in range(len(brands))]
    slots = Slots(job.n_accounts)
    rings, studio = [], []
    variant: dict[int, str] = {}
    for size in split:
        created = batch_created(r, size, -r.randint(5, 40), r.choice((DAY, 5 * DAY, 20 * DAY)))
        local = world.add_workers(r, size, created=created, virtual_phone_share=0.2) - first
        phones = [dev.real_device(r, r.choice(dev.PHONE_MODELS), "wechat", "Asia/Shanghai", "zh-CN")
                  for _ in range(r.randint(3, 6))]
        kinds = variants_for(r, size, ("shared_device", "shared_ip"), (0.6, 0.4))
        for a, kind in zip(local.tolist(), kinds, strict=True):
            variant[a] = kind
            if kind == "shared_device":
                device, ua = phones[a % len(phones)]
                row = device if r.random() < 0.6 else dict(device, fingerprint=dev.visitor_id(r))
                slots.add(a, world.add_device(row, ua)[0])
            else:
                slots.add(a, world.honest_device(r, int(a + first), "wechat")[0])
        rings.append(local)
        studio.append(world.ips.sample(rng, r.randint(2, 4), operator=r.choice(CARRIERS[1:])))
    camp, member, accepted, ring = [], [], [], []
    for g, b in enumerate(brands):
        mine = world.camp["brand"] == b
        weights = np.where(mine, 1.0, 0.0)
        n = job.n_proofs * len(rings[g]) // job.n_accounts if g < len(brands) - 1 else \
            job.n_proofs - sum(len(x) for x in camp)
        sub = FraudJob(world, job.pattern, n, len(rings[g]), rng, r, weights)
        c, m, t, _ = events(sub, [rings[g]], (0.5, 1.0), HOUR, in_session=0.9) if n else (np.zeros(0, int),) * 4
        camp.append(c)
        member.append(m)
        accepted.append(t)
        ring.append(np.full(len(c), g))
    camp_a, member_a, accepted_a, ring_a = (np.concatenate(x).astype(np.int64) for x in (camp, member, accepted, ring))
    at_studio = rng.random(len(camp_a)) < 0.75
    ip = hourly_mobile_ips(world, rng, member_a + first, accepted_a)
    for g in range(len(brands)):
        sel = at_studio & (ring_a == g)
        ip[sel] = studio[g][rng.integers(0, len(studio[g]), int(sel.sum()))]
    comment = _buyer_comments(job, camp_a)
    return assemble(job, camp_a, member_a + first, accepted_a, ip, slots.pick(rng, member_a, primary=1.0),
                    kind=[f"collusion_{variant[m]}" for m in member_a.tolist()],
                    ring=[f"brand_collusion-{g + 1}" for g in ring_a.tolist()], comment=comment)


def _buyer_comments(job: FraudJob, camp: np.ndarray) -> list[str | None]:
    """Half fake-buyer praise pasted with small edits, half ordinary chatter."""
    world, r = job.world, job.r
    casual = world.viewer_comments(r, camp)
    bases: dict[int, str] = {}
    out: list[str | None] = []
    for c, text in zip(camp.tolist(), casual, strict=True):
        if text is None or r.random() < 0.5:
            out.append(text)
            continue
        room = int(world.camp["room"][c])
        brand = world.brands[int(world.camp["brand"][c])]["name"]
        base = bases.setdefault(c, fill(r.choice(COLLUSION_BASES), r, world.room_category[room], brand))
        out.append(near_duplicate(base, r, r.randint(0, 2)))
    return out

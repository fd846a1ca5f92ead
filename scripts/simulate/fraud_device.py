"""Fraud that shows on the device and in timing: device farms and scripted bots."""

from __future__ import annotations

import numpy as np

from . import devices as dev
from .batch import NONE, ProofBatch
from .context import DAY, HOUR
from .honest import CARRIERS
from .rings import FraudJob, Slots, assemble, batch_created, events, register, ring_sizes, share_split, variants_for

FARM_VARIANTS = ("emulator", "phone_wall", "fingerprint_leak")
CHEAP_PHONES = tuple(m for m in dev.MODELS if m.name in ("Redmi Note 12", "vivo Y78", "OPPO A58",
                                                          "Redmi Note 13 Pro"))


@register("device_farm", proofs_per_account=15, reason="fraud_device_farm")
def device_farm(job: FraudJob) -> ProofBatch:
    """A few phones or emulators run many accounts, one account after another.

    Variations: `emulator` (emulator flag on some, touch points 0/1, x86 platform under an
    Android user agent), `phone_wall` (identical real phones: fingerprints rotated per account,
    canvas/WebGL/screen/cores identical), `fingerprint_leak` (a phone wall that forgot to
    rotate the visitor id for some accounts). Networks: one home line, a rented /24, or a few
    4G dongles.
    """
    world, rng, r = job.world, job.rng, job.r
    sizes = ring_sizes(r, job.n_accounts, 8, 40, at_least=len(FARM_VARIANTS))
    variant = variants_for(r, len(sizes), FARM_VARIANTS, (0.4, 0.4, 0.2))
    first = len(world.workers)
    slots = Slots(job.n_accounts)
    rings, network = [], []
    for f, size in enumerate(sizes):
        day = -r.randint(3, 90)
        ids = world.add_workers(r, size, created=batch_created(r, size, day, r.choice((HOUR, DAY, 3 * DAY))),
                                virtual_phone_share=0.5, sequential_phones=r.random() < 0.4)
        local = ids - first
        rings.append(local)
        _farm_devices(job, variant[f], local, slots)
        network.append(_farm_network(job))
    camp, member, accepted, ring = events(job, rings, (0.6, 1.0), 0, in_session=0.85, gap=(15, 90))
    ip = np.empty(len(camp), dtype=np.int64)
    for f, (style, pool) in enumerate(network):
        sel = ring == f
        if style == "idc":
            ip[sel] = world.ips.subnet_hosts(rng, int(sel.sum()), int(pool[0]))
        elif style == "dongles":
            ip[sel] = pool[(accepted[sel] // DAY + member[sel]) % len(pool)]
        else:
            ip[sel] = pool[(accepted[sel] // (5 * DAY)) % len(pool)]
    device = slots.pick(rng, member, primary=0.7)
    bank: dict[tuple[int, int], list] = {}  # each farm types a handful of lines per campaign
    comment = [bank.setdefault((g, c), world.viewer_comments(r, np.full(5, c)))[r.randrange(5)]
               for g, c in zip(ring.tolist(), camp.tolist(), strict=True)]
    return assemble(job, camp, member + first, accepted, ip, device,
                    kind=[f"device_farm_{variant[g]}" for g in ring.tolist()],
                    ring=[f"device_farm-{g + 1}" for g in ring.tolist()], comment=comment)


def _farm_devices(job: FraudJob, kind: str, accounts: np.ndarray, slots: Slots) -> None:
    world, r = job.world, job.r
    n_phys = min(len(accounts), r.randint(2, 6))
    if kind == "emulator":
        image = dev.emulator_stack(r)
        stacks = [image if r.random() < 0.5 else dev.emulator_stack(r) for _ in range(n_phys)]
        flags = [r.random() < 0.6 for _ in range(n_phys)]
        app = r.choice(("douyin", "kuaishou", "system"))
        for a in accounts.tolist():
            s = a % n_phys
            st = stacks[s]
            for _ in range(r.choice((1, 1, 2, 3))):  # some accounts reset the id now and then
                device = {"fingerprint": dev.visitor_id(r), "platform": st["platform"], "os": st["os"],
                          "screen": st["screen"], "timezone": "Asia/Shanghai", "language": "zh-CN",
                          "webdriver": False, "emulator": flags[s], "touch_points": r.choice((0, 0, 1)),
                          "hardware_concurrency": st["hardware_concurrency"],
                          "canvas_hash": st["canvas_hash"], "webgl_renderer": st["webgl_renderer"]}
                slots.add(a, world.add_device(device, dev.emulator_ua(r, st, app))[0])
        return
    model = r.choice(CHEAP_PHONES)
    base, ua = dev.real_device(r, model, r.choice(("system", "douyin", "wechat")), "Asia/Shanghai", "zh-CN",
                               canvas_variants=1)
    leaked: dict[int, str] = {}  # the visitor id a phone kept because nobody reset it
    for a in accounts.tolist():
        fp = dev.visitor_id(r)
        if kind == "fingerprint_leak" and r.random() < 0.5:
            fp = leaked.setdefault(a % n_phys, fp)
        slots.add(a, world.add_device(dict(base, fingerprint=fp), ua)[0])


def _farm_network(job: FraudJob) -> tuple[str, np.ndarray]:
    world, rng, r = job.world, job.rng, job.r
    style = r.choices(("broadband", "idc", "dongles"), (0.45, 0.3, 0.25))[0]
    if style == "idc":
        return style, world.ips.sample(rng, 1, kind=r.choice(("cn_cloud", "hosting")))
    if style == "dongles":
        return style, world.ips.sample(rng, r.randint(3, 6), operator="China Mobile")
    return style, world.ips.sample(rng, r.randint(1, 3), operator=r.choice(CARRIERS[1:]))


BOT_VARIANTS = ("headless", "spoofed_ua", "fast_submit", "clockwork")


@register("scripted_bot", proofs_per_account=25, reason="bot")
def scripted_bot(job: FraudJob) -> ProofBatch:
    """Scripts that submit on a timer, round the clock, often without watching.

    Variations: `headless` (automation user agents, webdriver true, or no device at all),
    `spoofed_ua` (a phone user agent over a Linux/SwiftShader device), `fast_submit` (clean
    device, but submits before the watch time could have passed), `clockwork` (clean device and
    plausible durations; only the too-regular 24/7 rhythm betrays it).
    """
    world, rng, r = job.world, job.rng, job.r
    first = len(world.workers)
    operators = ring_sizes(r, job.n_accounts, 3, 12, at_least=len(BOT_VARIANTS))
    variants = variants_for(r, len(operators), BOT_VARIANTS, (0.3, 0.3, 0.2, 0.2))
    quota = share_split(rng, job.n_proofs, rng.lognormal(0, 0.5, job.n_accounts))
    slots = Slots(job.n_accounts)
    cols: dict[str, list] = {k: [] for k in ("camp", "who", "t", "ip", "variant", "ring")}
    acct = 0
    for g, size in enumerate(operators):
        variant = variants[g]
        old = variant in ("fast_submit", "clockwork")
        created = [-r.randint(30, 600) * DAY if old else -r.randint(1, 12) * DAY for _ in range(size)]
        world.add_workers(r, size, created=created, virtual_phone_share=0.4)
        pool = _bot_ips(job, size)
        for a in range(acct, acct + size):
            _bot_device(job, variant, a, slots)
            times = _ticks(job, int(quota[a]), variant)
            cols["t"].append(times)
            cols["who"].append(np.full(len(times), a))
            cols["ip"].append(pool[rng.integers(0, 2, len(times)) + (a - acct) % max(len(pool) - 1, 1)])
            cols["variant"] += [variant] * len(times)
            cols["ring"] += [f"scripted_bot-{g + 1}"] * len(times)
        acct += size
    who = np.concatenate(cols["who"])
    camp, t = world.live_campaign_at(rng, np.concatenate(cols["t"]), job.campaign_weights)
    device = slots.pick(rng, who, primary=0.95)
    clock = _bot_clock(job, camp, t, np.array([v != "clockwork" for v in cols["variant"]]))
    ua = slots.user_agents(world, who, device)
    return assemble(job, camp, who + first, t, np.concatenate(cols["ip"]), device,
                    kind=[f"bot_{v}" for v in cols["variant"]], ring=cols["ring"], ua=ua, clock=clock)


def _bot_ips(job: FraudJob, size: int) -> np.ndarray:
    world, rng, r = job.world, job.rng, job.r
    n = max(2, size // 2 + 1)
    source = r.choices(("cn_cloud", "hosting", "carrier"), (0.45, 0.25, 0.3))[0]
    if source == "carrier":  # SIM-card proxies
        return world.ips.sample(rng, n, operator=r.choice(CARRIERS))
    return world.ips.sample(rng, n, kind=source)


def _bot_device(job: FraudJob, variant: str, account: int, slots: Slots) -> None:
    world, r = job.world, job.r
    if variant == "headless":
        ua = r.choice(dev.HEADLESS_UAS)
        bare = not ua.startswith("Mozilla") or r.random() < 0.2
        device = None if bare else dev.headless_device(r, "Asia/Shanghai", webdriver=r.random() < 0.75)
        d, u = world.add_device(device, ua)
        slots.add(account, d, ua=u)
        return
    model = r.choice(dev.PHONE_MODELS)
    device, ua = dev.real_device(r, model, r.choice(("system", "wechat", "douyin")), "Asia/Shanghai", "zh-CN")
    if variant == "spoofed_ua":
        fake = dev.headless_device(r, "Asia/Shanghai", webdriver=False)
        device.update({k: fake[k] for k in ("platform", "touch_points", "hardware_concurrency", "webgl_renderer",
                                            "canvas_hash")})
        if r.random() < 0.5:
            device["screen"] = fake["screen"]
    slots.add(account, world.add_device(device, ua)[0])


def _ticks(job: FraudJob, n: int, variant: str) -> np.ndarray:
    """Submission times of one bot: a fixed interval, day and night."""
    world, rng, r = job.world, job.rng, job.r
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if variant == "fast_submit":  # runs when people watch, but far too quickly
        return world.diurnal(rng, n, 0, world.period - 2 * HOUR)
    usable = world.period - 3 * HOUR
    span = min(r.uniform(2, 14) * DAY, usable)
    interval = max(60.0, span / n)
    span = min(interval * n, usable)
    start = r.uniform(0, usable - span)
    jitter = rng.normal(0, r.choice((1.0, 2.0, 5.0)), n)
    return (start + interval * np.arange(n) + jitter).astype(np.int64)


def _bot_clock(job: FraudJob, camp: np.ndarray, accepted: np.ndarray,
               fast: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Durations: instant for fast variants (claims the full watch time anyway), scripted otherwise."""
    world, rng = job.world, job.rng
    n = len(camp)
    min_watch = world.camp["min_watch"][camp]
    is_watch = world.camp["action"][camp] == 2
    start_delay = np.where(fast, rng.integers(0, 3, n), rng.integers(5, 15, n))
    work = np.where(fast, rng.integers(1, 12, n), np.where(is_watch, min_watch + rng.integers(2, 6, n), 30))
    watch = np.where(is_watch, min_watch + np.where(fast, rng.integers(0, 30, n), 0), NONE)
    return start_delay, accepted + start_delay + work, watch


"""Honest workers and their proofs, including the honest behaviour that looks odd.

The honest population deliberately contains what a naive rule would flag:
many people behind one mobile carrier address (CGNAT), VPN users on hosting
or foreign addresses, brand-new accounts, families on one home line (some on
one shared tablet), devices that report few traits, and power users.
"""

from __future__ import annotations

import numpy as np

from . import devices as dev
from . import honest_groups as groups_module
from .batch import NONE, ProofBatch, timing
from .context import DAY, HOUR, World, py_random, stream
from .vocab import ABROAD

PROFILES = ("regular", "mobile_only", "vpn", "new_account", "family", "power_user", "abroad",
            "sparse_device", "promo")
PROFILE_SHARE = (0.55, 0.14, 0.06, 0.08, 0.06, 0.04, 0.04, 0.03, 0.0)  # promo: picked from new accounts
KIND = {"regular": "honest_regular", "mobile_only": "honest_regular", "vpn": "honest_vpn",
        "new_account": "honest_new_account", "family": "honest_family", "power_user": "honest_power_user",
        "abroad": "honest_abroad", "sparse_device": "honest_sparse_device", "promo": "honest_promo"}
MOBILE_SHARE = {"mobile_only": 1.0, "power_user": 0.6, "abroad": 0.0}
CARRIERS = ("China Mobile", "China Unicom", "China Telecom")
APPS = ("wechat", "system", "douyin", "kuaishou", "taobao")
APP_SHARE = (0.45, 0.3, 0.15, 0.05, 0.05)
OPTIONAL_DEVICE_KEYS = ("canvas_hash", "webgl_renderer", "hardware_concurrency", "touch_points",
                        "screen", "timezone", "language", "os")
CGNAT_SHARE = 0.10  # share of honest proofs made in CGNAT bursts


class HonestPopulation:
    """Honest accounts with their networks and devices, ready to produce proofs."""

    def __init__(self, world: World, n_workers: int) -> None:
        self.world = world
        self.rng = stream(world.options.seed, "honest")
        self.r = py_random(self.rng)
        rng, r = self.rng, self.r
        self.profile = rng.choice(len(PROFILES), size=n_workers, p=PROFILE_SHARE)
        abroad = self.profile == PROFILES.index("abroad")
        first = len(world.workers)
        self.ids = np.arange(first, first + n_workers)
        self.country = ["CN"] * n_workers
        for i in range(n_workers):
            if abroad[i]:
                region, tz, lang, country = r.choice(ABROAD)
                world.add_workers(r, 1, region=region, timezone=tz, language=lang)
                self.country[i] = country
            else:
                world.add_workers(r, 1)
        old = -(rng.integers(20, 1500, n_workers) * DAY + rng.integers(0, DAY, n_workers))
        for i, w in enumerate(self.ids.tolist()):
            if PROFILES[self.profile[i]] != "new_account":
                world.workers.created[w] = int(old[i])
        self.home_owner = self._families()
        self.mobile_carrier = rng.choice(3, size=n_workers, p=(0.6, 0.25, 0.15))
        self.home_isp = rng.choice(3, size=n_workers, p=(0.15, 0.35, 0.5))
        self.lease = rng.integers(2, 15, n_workers) * DAY
        self.lease_phase = rng.integers(0, 15 * DAY, n_workers)
        vpn_pool = np.concatenate([world.ips.sample(rng, 24, kind="hosting"),
                                   world.ips.sample(rng, 8, kind="foreign_isp", country="HK"),
                                   world.ips.sample(rng, 8, kind="foreign_isp", country="JP")])
        self.vpn_exits = vpn_pool[rng.integers(0, len(vpn_pool), (n_workers, 3))]
        self.vpn_count = rng.integers(1, 4, n_workers)
        self.abroad_ip = np.zeros(n_workers, dtype=np.int64)
        for i in np.flatnonzero(abroad).tolist():  # a student's flat abroad keeps its address
            self.abroad_ip[i] = world.ips.sample(rng, 1, kind="foreign_isp", country=self.country[i])[0]
        self.device_slots, self.device_count = self._devices()
        weight = rng.lognormal(0.0, 1.0, n_workers)
        weight[self.profile == PROFILES.index("power_user")] *= 15
        weight[self.profile == PROFILES.index("new_account")] *= 0.5
        self.activity = weight / weight.sum()

    def _families(self) -> np.ndarray:
        """Family members use the home line of the first member of their family."""
        owner = np.arange(len(self.profile))
        members = np.flatnonzero(self.profile == PROFILES.index("family")).tolist()
        wk = self.world.workers
        while members:
            size = min(len(members), self.r.choice((2, 2, 3, 4)))
            group, members = members[:size], members[size:]
            for m in group:
                owner[m] = group[0]
                wk.region[self.ids[m]] = wk.region[self.ids[group[0]]]
                wk.timezone[self.ids[m]] = wk.timezone[self.ids[group[0]]]
        return owner

    def _devices(self) -> tuple[np.ndarray, np.ndarray]:
        world, r = self.world, self.r
        n = len(self.profile)
        slots = np.full((n, 4), NONE, dtype=np.int64)
        count = np.zeros(n, dtype=np.int64)
        for i in range(n):
            if self.home_owner[i] != i and self.r.random() < 0.3:  # a family tablet everybody uses
                slots[i, 0] = slots[self.home_owner[i], 0]
                count[i] = 1
                continue
            k = r.choices((1, 2, 3), (0.85, 0.13, 0.02))[0]
            for j in range(k):
                d, _ = world.honest_device(r, int(self.ids[i]), r.choices(APPS, APP_SHARE)[0])
                if PROFILES[self.profile[i]] == "sparse_device":
                    for key in r.sample(OPTIONAL_DEVICE_KEYS, r.randint(2, 6)):
                        world.devices[d].pop(key, None)
                slots[i, j] = d
            if r.random() < 0.1:  # cleared storage once: same phone, new visitor id
                first_row = int(slots[i, 0])
                again = dict(world.devices[first_row], fingerprint=dev.visitor_id(r))
                ua = world.user_agents[world.ua_for_device(first_row)]
                slots[i, k] = world.add_device(again, ua)[0]
                k += 1
            count[i] = k
        return slots, count

    # ----- proofs -----------------------------------------------------------------------------
    def proofs(self, n: int, campaign_weights: np.ndarray) -> ProofBatch:
        """n honest proofs: ordinary ones plus CGNAT bursts, campuses and a promotion's cohort."""
        n_burst = int(round(n * CGNAT_SHARE)) if n >= 200 else 0
        groups = n >= groups_module.GROUPS_FROM
        new = np.flatnonzero(self.profile == PROFILES.index("new_account"))
        promo = self.rng.permutation(new)[:min(len(new) // 2, 50)] if groups else new[:0]
        n_promo = int(round(n * groups_module.PROMO_SHARE)) if len(promo) >= 10 else 0
        campus_pool = np.flatnonzero(np.isin(self.profile, [PROFILES.index(x) for x in ("regular", "mobile_only")]))
        n_campus = int(round(n * groups_module.CAMPUS_SHARE)) if groups and len(campus_pool) >= 60 else 0
        if n_promo:
            self.profile[promo] = PROFILES.index("promo")
            self.activity[promo] = 0.0  # their proofs are the cohort's, after they registered
            self.activity /= self.activity.sum()
        plain = self._plain(n - n_burst - n_promo - n_campus, campaign_weights)
        parts = [plain]
        if n_burst:
            parts.append(self._cgnat_bursts(n_burst, campaign_weights))
        if n_campus:
            parts.append(groups_module.campus_proofs(self, n_campus, campaign_weights, campus_pool))
        if n_promo:
            parts.append(groups_module.promo_proofs(self, n_promo, campaign_weights, promo))
        batch = ProofBatch.concat(parts)
        self._date_new_accounts(batch)
        return batch

    def _plain(self, n: int, campaign_weights: np.ndarray) -> ProofBatch:
        rng, world = self.rng, self.world
        who = rng.choice(len(self.profile), size=n, p=self.activity)
        p = campaign_weights / campaign_weights.sum()
        camp = rng.choice(len(p), size=n, p=p)
        for _ in range(3):  # people rarely take the same campaign twice
            key = who.astype(np.int64) * len(p) + camp
            _, first = np.unique(key, return_index=True)
            again = np.ones(n, dtype=bool)
            again[first] = False
            if not again.any():
                break
            camp[again] = rng.choice(len(p), size=int(again.sum()), p=p)
        action = world.camp["action"][camp]
        live = rng.random(n) < np.where(action >= 3, 0.8, 0.95)
        accepted = world.times_for(rng, camp, live)
        ip = self._ips(who, accepted)
        kinds = [KIND[PROFILES[x]] for x in self.profile[who].tolist()]
        return self._finish(who, camp, accepted, ip, kinds)

    def _cgnat_bursts(self, n: int, campaign_weights: np.ndarray) -> ProofBatch:
        """Strangers on one carrier gateway address in the same minutes, each on their own phone."""
        rng, world = self.rng, self.world
        eligible = np.flatnonzero(np.isin(self.profile, [PROFILES.index(x) for x in
                                                         ("regular", "mobile_only", "power_user", "new_account")]))
        sizes = np.minimum(3 + rng.poisson(4, size=n // 3 + 1), 15)
        sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n)) + 1]
        sizes[-1] -= sizes.sum() - n
        sizes = sizes[sizes > 0]
        p = campaign_weights / campaign_weights.sum()
        camp0 = rng.choice(len(p), size=len(sizes), p=p)
        t0 = world.times_for(rng, camp0, np.ones(len(sizes), dtype=bool))
        gateway = np.concatenate([world.ips.sample(rng, 1, operator=CARRIERS[c])
                                  for c in rng.choice(3, size=len(sizes), p=(0.7, 0.2, 0.1))])
        cluster = np.repeat(np.arange(len(sizes)), sizes)
        who = eligible[rng.integers(0, len(eligible), len(cluster))]
        accepted = t0[cluster] + rng.integers(0, 600, len(cluster))
        camp = camp0[cluster].copy()
        other = rng.random(len(cluster)) < 0.3
        camp[other], accepted[other] = world.live_campaign_at(rng, accepted[other], campaign_weights)
        return self._finish(who, camp, accepted, gateway[cluster], ["honest_cgnat"] * len(cluster))

    def _finish(self, who: np.ndarray, camp: np.ndarray, accepted: np.ndarray, ip: np.ndarray,
                kinds: list[str]) -> ProofBatch:
        rng, world, r = self.rng, self.world, self.r
        n = len(who)
        action = world.camp["action"][camp]
        start_delay, submitted, watch = timing(rng, action, world.camp["min_watch"][camp], accepted)
        pick = np.where(rng.random(n) < 0.85, 0, rng.integers(0, 4, n) % self.device_count[who])
        device = self.device_slots[who, pick]
        device[rng.random(n) < 0.015] = NONE
        ua = np.array([world.ua_for_device(d) for d in device.tolist()], dtype=np.int64)
        ua[rng.random(n) < 0.01] = NONE
        start_delay[rng.random(n) < 0.02] = NONE
        comment = world.viewer_comments(r, camp)
        has_shot = rng.random(n) >= 0.01
        sha = [s if k else None for s, k in zip(world.fresh_sha(rng, n), has_shot.tolist(), strict=True)]
        kinds = ["honest_sparse_device" if d == NONE else k for d, k in zip(device.tolist(), kinds, strict=True)]
        return ProofBatch(campaign=camp, worker=self.ids[who], accepted=accepted, start_delay=start_delay,
                          submitted=submitted, ip=ip, device=device, ua=ua, watch=watch, comment=comment,
                          sha=sha, phash=world.fresh_phash(rng, camp), pattern=["honest"] * n, kind=kinds,
                          ring=[None] * n)

    def _ips(self, who: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Mobile data (a new carrier address every hour), the home line, or the VPN."""
        rng, world = self.rng, self.world
        prof = self.profile[who]
        p_mobile = np.full(len(who), 0.45)
        for name, share in MOBILE_SHARE.items():
            p_mobile[prof == PROFILES.index(name)] = share
        mobile = rng.random(len(who)) < p_mobile
        vpn = (prof == PROFILES.index("vpn")) & (rng.random(len(who)) < 0.7)
        abroad = prof == PROFILES.index("abroad")
        ip = np.zeros(len(who), dtype=np.int64)
        m = mobile & ~vpn & ~abroad
        ip[m] = keyed_ips(world, rng, who[m] * 100_000 + t[m] // HOUR, self.mobile_carrier[who[m]])
        h = ~mobile & ~vpn & ~abroad
        owner = self.home_owner[who[h]]
        epoch = (t[h] + self.lease_phase[owner]) // self.lease[owner]
        ip[h] = keyed_ips(world, rng, owner * 10_000 + epoch, self.home_isp[owner])
        ip[vpn] = self.vpn_exits[who[vpn], rng.integers(0, 3, int(vpn.sum())) % self.vpn_count[who[vpn]]]
        ip[abroad] = self.abroad_ip[who[abroad]]
        return ip

    def _date_new_accounts(self, batch: ProofBatch) -> None:
        """New accounts register shortly before their first task."""
        world = self.world
        first = {}
        for w, t in zip(batch.worker.tolist(), batch.accepted.tolist(), strict=True):
            if t < first.get(w, 1 << 62):
                first[w] = t
        for w in self.ids.tolist():
            if world.workers.created[w] is None:
                gap = int(self.rng.lognormal(np.log(3 * HOUR), 1.2)) + 120
                world.workers.created[w] = first[w] - gap if w in first else int(self.rng.integers(0, world.period))


def carrier_of(workers: np.ndarray) -> np.ndarray:
    """A fixed mobile carrier per account (0 Mobile, 1 Unicom, 2 Telecom: 60/25/15)."""
    bucket = (np.asarray(workers, dtype=np.int64) * 2_654_435_761) % 100
    return np.searchsorted(np.array([60, 85]), bucket, side="right")


def hourly_mobile_ips(world: World, rng: np.random.Generator, workers: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Mobile data: the carrier hands an account a new public address about every hour."""
    return keyed_ips(world, rng, np.asarray(workers) * 100_000 + np.asarray(t) // HOUR, carrier_of(workers))


def keyed_ips(world: World, rng: np.random.Generator, keys: np.ndarray, carrier: np.ndarray) -> np.ndarray:
    """One carrier address per distinct key (a lease, an hour of mobile data)."""
    out = np.zeros(len(keys), dtype=np.int64)
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    values = np.zeros(len(uniq), dtype=np.int64)
    for c, name in enumerate(CARRIERS):
        sel = carrier[first] == c
        if sel.any():
            values[sel] = world.ips.sample(rng, int(sel.sum()), operator=name)
    out[:] = values[inverse]
    return out


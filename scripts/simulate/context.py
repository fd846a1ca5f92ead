"""The shared state of a world while it is generated: time axis, entity tables, helpers.

Times are integer seconds from the start of the period (t=0 is `options.start`),
written out in China Standard Time. Entities are kept in columns (lists or
numpy arrays) so that proof generation can stay vectorised.
"""

from __future__ import annotations

import random
import zlib
from dataclasses import dataclass, field

import numpy as np

from . import devices as dev
from .comments import honest_comment
from .ipspace import IpSpace
from .options import CST, SimulationOptions
from .vocab import CN_REGIONS, PHONE_PREFIXES, VIRTUAL_PHONE_PREFIXES

DAY = 86_400
HOUR = 3_600
# Relative activity of Chinese live-stream viewers by local hour (evening peak).
HOUR_WEIGHTS = np.array([3, 1.5, .8, .5, .4, .5, 1, 2, 3, 3.5, 4, 4, 5, 4.5, 4, 4, 4, 4.5, 5.5, 7,
                         9, 9.5, 8, 5.5], dtype=float)


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent, reproducible random stream for one part of the world."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def py_random(rng: np.random.Generator) -> random.Random:
    """A stdlib generator seeded from a numpy stream, for scalar string work."""
    return random.Random(int(rng.integers(0, 2**63)))


@dataclass
class Workers:
    """Worker accounts in columns; created_at may be filled after the proofs are known."""

    created: list[int | None] = field(default_factory=list)
    region: list[str] = field(default_factory=list)
    timezone: list[str] = field(default_factory=list)
    language: list[str] = field(default_factory=list)
    phone: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.region)


class World:
    """Everything generated so far, plus helpers every generator shares."""

    def __init__(self, options: SimulationOptions) -> None:
        self.options = options
        self.start = options.start.astimezone(CST)
        self.period = options.days * DAY
        self.ips = IpSpace()
        self.workers = Workers()
        self.devices: list[dict] = []
        self.device_ua: list[int] = []  # user agent id of the browser each device row came from
        self.user_agents: list[str] = []
        self._ua_index: dict[str, int] = {}
        self._phones_used: set[str] = set()
        # Filled by entities.build_static_world.
        self.brands: list[dict] = []
        self.rooms: list[dict] = []
        self.room_category: list[str] = []
        self.room_host: list[str] = []
        self.room_phash = np.zeros(0, dtype=np.uint64)
        self.sessions: dict[str, np.ndarray] = {}
        self.room_sessions: list[np.ndarray] = []
        self.campaigns: list[dict] = []
        self.camp: dict[str, np.ndarray] = {}
        self.collusion_brands: list[int] = []

    # ----- time -----------------------------------------------------------------------------
    def local_hour(self, t: np.ndarray) -> np.ndarray:
        """Hour of day in China for times t."""
        offset = self.start.hour * HOUR + self.start.minute * 60 + self.start.second
        return ((np.asarray(t) + offset) // HOUR) % 24

    def iso(self, t: np.ndarray) -> list[str]:
        """ISO 8601 strings with +08:00 for an array of period seconds."""
        base = np.datetime64(self.start.replace(tzinfo=None), "s")
        text = np.datetime_as_string(base + np.asarray(t, dtype=np.int64).astype("timedelta64[s]"), unit="s")
        return np.char.add(text, "+08:00").tolist()

    # ----- campaign windows and live sessions ---------------------------------------------------
    def active_window(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Where proofs of campaigns c may be accepted: campaign window within the period."""
        lo = np.maximum(self.camp["start"][c], 0)
        hi = np.minimum(self.camp["end"][c], self.period) - 2 * HOUR
        return lo, np.maximum(hi, lo + 1)

    def times_for(self, rng: np.random.Generator, c: np.ndarray, in_session: np.ndarray) -> np.ndarray:
        """Accept times for proofs of campaigns c; inside a live session where in_session."""
        c = np.asarray(c)
        out = np.empty(len(c), dtype=np.int64)
        for cid in np.unique(c).tolist():
            rows = np.flatnonzero(c == cid)
            lo, hi = (int(x[0]) for x in self.active_window(np.array([cid])))
            live = in_session[rows]
            out[rows[~live]] = self.diurnal(rng, int((~live).sum()), lo, hi)
            if live.any():
                out[rows[live]] = self._in_sessions(rng, cid, int(live.sum()), lo, hi)
        return out

    def _in_sessions(self, rng: np.random.Generator, cid: int, n: int, lo: int, hi: int) -> np.ndarray:
        s = self.room_sessions[int(self.camp["room"][cid])]
        starts = np.clip(self.sessions["start"][s], lo, hi)
        ends = np.clip(self.sessions["end"][s] - 60, lo, hi)
        length = (ends - starts).astype(float)
        if length.sum() <= 0:
            return self.diurnal(rng, n, lo, hi)
        pick = rng.choice(len(s), size=n, p=length / length.sum())
        return starts[pick] + (rng.random(n) * length[pick]).astype(np.int64)

    def diurnal(self, rng: np.random.Generator, n: int, lo: int, hi: int,
                weights: np.ndarray = HOUR_WEIGHTS) -> np.ndarray:
        """n times in [lo, hi) following the hour-of-day weights (rejection sampling)."""
        out = np.empty(0, dtype=np.int64)
        ceiling = weights.max()
        while len(out) < n:
            t = rng.integers(lo, max(hi, lo + 1), size=2 * (n - len(out)) + 8)
            keep = rng.random(len(t)) * ceiling < weights[self.local_hour(t)]
            out = np.concatenate([out, t[keep]])
        return out[:n]

    def live_campaign_at(self, rng: np.random.Generator, t: np.ndarray,
                         weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """A campaign active at each time t, drawn by weight; times no campaign covers move
        into the window of the one drawn last. Returns (campaigns, times)."""
        t = np.array(t, dtype=np.int64)
        p = weights / weights.sum()
        c = rng.choice(len(p), size=len(t), p=p)
        for _ in range(30):
            lo, hi = self.active_window(c)
            bad = (t < lo) | (t >= hi)
            if not bad.any():
                return c, t
            c[bad] = rng.choice(len(p), size=int(bad.sum()), p=p)
        lo, hi = self.active_window(c)
        return c, np.clip(t, lo, hi - 1)

    # ----- workers, phones, devices -------------------------------------------------------------
    def add_workers(self, r: random.Random, n: int, created: list[int | None] | None = None,
                    region: str | None = None, timezone: str = "Asia/Shanghai", language: str = "zh-CN",
                    virtual_phone_share: float = 0.02, sequential_phones: bool = False) -> np.ndarray:
        """Append n worker accounts; return their indices."""
        first = len(self.workers)
        regions = [region] * n if region else r.choices([x for x, _ in CN_REGIONS],
                                                        [w for _, w in CN_REGIONS], k=n)
        phones = self._phones(r, n, virtual_phone_share, sequential_phones)
        w = self.workers
        w.created.extend(created if created is not None else [None] * n)
        w.region.extend(regions)
        w.timezone.extend(["Asia/Urumqi" if g == "CN-XJ" and r.random() < 0.3 else timezone
                           for g in regions])
        w.language.extend([language] * n)
        w.phone.extend(phones)
        return np.arange(first, first + n)

    def _phones(self, r: random.Random, n: int, virtual_share: float, sequential: bool) -> list[str]:
        out: list[str] = []
        head = r.choice(VIRTUAL_PHONE_PREFIXES) if sequential else ""
        base = r.randrange(10**7, 10**8 - n - 1)
        for i in range(n):
            if sequential:
                digits = f"{head}{base + i * r.choice((1, 1, 2, 3)):08d}"
            else:
                pre = r.choice(VIRTUAL_PHONE_PREFIXES if r.random() < virtual_share else PHONE_PREFIXES)
                digits = f"{pre}{r.randrange(10**8):08d}"
            phone = f"+86{digits}"
            while phone in self._phones_used:  # unique-ish: retry the rare clash
                digits = f"{digits[:3]}{r.randrange(10**8):08d}"
                phone = f"+86{digits}"
            self._phones_used.add(phone)
            out.append(phone)
        return out

    def add_device(self, device: dict | None, ua: str | None) -> tuple[int, int]:
        """Register a device row and its user agent; -1 stands for a missing one."""
        d, u = -1, self.ua_id(ua)
        if device is not None:
            d = len(self.devices)
            self.devices.append(device)
            self.device_ua.append(u)
        return d, u

    def ua_for_device(self, d: int) -> int:
        """The user agent id reported together with device row d (-1 for no device)."""
        return self.device_ua[d] if d >= 0 else -1

    def ua_id(self, ua: str | None) -> int:
        """Intern a user agent string."""
        if ua is None:
            return -1
        i = self._ua_index.get(ua)
        if i is None:
            i = self._ua_index[ua] = len(self.user_agents)
            self.user_agents.append(ua)
        return i

    def honest_device(self, r: random.Random, worker: int, app: str,
                      model: dev.Model | None = None) -> tuple[int, int]:
        """A clean, consistent device for a worker, in the worker's time zone and language."""
        model = model or r.choices(dev.MODELS, dev.MODEL_WEIGHTS)[0]
        device, ua = dev.real_device(r, model, app, self.workers.timezone[worker],
                                     self.workers.language[worker])
        return self.add_device(device, ua)

    def viewer_comments(self, r: random.Random, campaigns: np.ndarray) -> list[str | None]:
        """Ordinary viewers' comments on comment campaigns, None for other actions."""
        rooms = self.camp["room"][campaigns].tolist()
        actions = self.camp["action"][campaigns].tolist()
        return [honest_comment(r, self.room_category[room], self.room_host[room]) if a == 1 else None
                for room, a in zip(rooms, actions, strict=True)]

    # ----- screenshots --------------------------------------------------------------------------
    def fresh_sha(self, rng: np.random.Generator, n: int) -> list[str]:
        """n distinct-looking screenshot digests."""
        blob = rng.bytes(32 * n).hex()
        return [blob[64 * i: 64 * i + 64] for i in range(n)]

    def fresh_phash(self, rng: np.random.Generator, campaigns: np.ndarray) -> np.ndarray:
        """Perceptual hashes of honest screenshots: near their room's look, never too near."""
        rooms = self.camp["room"][campaigns]
        bits = rng.random((len(rooms), 64)) < 0.22
        mask = np.packbits(bits, axis=1, bitorder="little").view("<u8").ravel()
        return self.room_phash[rooms] ^ mask

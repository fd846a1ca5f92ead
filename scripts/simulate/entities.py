"""The static world: brands, live rooms, their broadcasts, and campaigns."""

from __future__ import annotations

import random

import numpy as np

from .comments import campaign_brief
from .context import DAY, HOUR, World, py_random, stream
from .vocab import (
    BRAND_HEADS,
    BRAND_SUFFIX,
    BRAND_TAILS,
    CATEGORIES,
    CATEGORY_WEIGHTS,
    DIVISION_CODES,
    HOSTS,
    MAIL_LOCAL,
    MAIL_TLD,
    PINYIN,
    PLATFORMS,
)

ACTIONS = ("like", "comment", "watch", "follow", "share")
ACTION_WEIGHTS = (0.25, 0.3, 0.25, 0.1, 0.1)
REWARD_RANGE = {"like": (20, 80), "comment": (80, 300), "watch": (100, 500), "follow": (50, 150),
                "share": (50, 200)}
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # GB 32100-2015, no I O S V Z
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def build_static_world(world: World) -> None:
    """Fill brands, rooms, sessions and campaigns of the world."""
    rng = stream(world.options.seed, "static")
    r = py_random(rng)
    n_campaigns = world.options.campaigns
    _brands(world, r, max(3, n_campaigns // 3))
    _rooms(world, r, rng, max(2, int(round(n_campaigns * 0.6))))
    _sessions(world, r)
    _campaigns(world, r, rng, n_campaigns)


def credit_code(r: random.Random) -> str:
    """A unified social credit code with a valid check character."""
    body = "91" + r.choice(DIVISION_CODES) + "".join(r.choices(CREDIT_ALPHABET[:31], k=9))
    total = sum(CREDIT_ALPHABET.index(ch) * w for ch, w in zip(body, CREDIT_WEIGHTS, strict=True))
    return body + CREDIT_ALPHABET[(31 - total % 31) % 31]


def _brands(world: World, r: random.Random, n: int) -> None:
    names: list[str] = []
    while len(names) < n:
        name = r.choice(BRAND_HEADS) + r.choice(BRAND_TAILS) + r.choice(BRAND_SUFFIX)
        if name not in names:
            names.append(name)
    statuses = r.choices(("verified", "pending", "rejected", "suspended"), (0.8, 0.12, 0.05, 0.03), k=n)
    needs_collusion = "brand_collusion" in world.options.active_patterns
    n_colluding = (2 if world.options.campaigns >= 20 else 1) if needs_collusion else 0
    world.collusion_brands = list(range(n - n_colluding, n))
    for i, name in enumerate(names):
        domain = "".join(r.choices(PINYIN, k=r.randint(2, 3))) + r.choice(MAIL_TLD)
        status = r.choice(("verified", "pending")) if i in world.collusion_brands else statuses[i]
        world.brands.append({
            "id": f"b{i + 1:04d}", "name": name, "kyc_status": status,
            "license_no": credit_code(r), "contact_email": f"{r.choice(MAIL_LOCAL)}@{domain}",
            "created_at": -r.randint(20, 1200) * DAY - r.randint(0, DAY - 1),
        })


def _rooms(world: World, r: random.Random, rng: np.random.Generator, n: int) -> None:
    categories = list(CATEGORIES)
    for i in range(n):
        category = r.choices(categories, CATEGORY_WEIGHTS)[0]
        platform = r.choices([p for p, _ in PLATFORMS], [w for _, w in PLATFORMS])[0]
        host = r.choice(HOSTS)
        brand = world.brands[i % len(world.brands)]["name"]
        name = r.choice((f"{brand}官方直播间", f"{brand}{category}旗舰店", f"{host}的{category}好物分享",
                         f"{host}{category}直播", f"{brand}品牌直播"))
        world.rooms.append({"id": f"r{i + 1:04d}", "platform": platform, "name": name,
                            "category": category})
        world.room_category.append(category)
        world.room_host.append(host)
    world.room_phash = rng.integers(0, 2**64, size=n, dtype=np.uint64)


def _sessions(world: World, r: random.Random) -> None:
    rows: list[tuple[int, int, int]] = []
    for room in range(len(world.rooms)):
        regularity = r.uniform(0.55, 0.95)
        slot = r.choice((10, 14, 19, 19.5, 20, 20, 21))
        double = r.random() < 0.2
        for day in range(-2, world.options.days + 1):
            if r.random() < regularity:
                start = day * DAY + int((slot + r.uniform(-0.75, 0.75)) * HOUR)
                rows.append((room, start, start + int(r.uniform(2, 6) * HOUR)))
            if double and r.random() < 0.6:
                start = day * DAY + int(r.uniform(9, 12) * HOUR)
                rows.append((room, start, start + int(r.uniform(1.5, 3) * HOUR)))
    rows.sort(key=lambda x: (x[1], x[0]))
    rows = _drop_overlaps(rows)
    room = np.array([x[0] for x in rows], dtype=np.int64)
    world.sessions = {"room": room, "start": np.array([x[1] for x in rows], dtype=np.int64),
                      "end": np.array([x[2] for x in rows], dtype=np.int64)}
    world.room_sessions = [np.flatnonzero(room == i) for i in range(len(world.rooms))]


def _drop_overlaps(rows: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    """A room broadcasts one session at a time."""
    last_end: dict[int, int] = {}
    kept = []
    for room, start, end in rows:
        if start >= last_end.get(room, -10**12):
            kept.append((room, start, end))
            last_end[room] = end
    return kept


def _campaigns(world: World, r: random.Random, rng: np.random.Generator, n: int) -> None:
    opts = world.options
    period = world.period
    n_brands = len(world.brands)
    brand = [i % n_brands if i < n_brands else r.randrange(n_brands) for i in range(n)]
    for k, b in enumerate(world.collusion_brands):  # colluding brands get two to three campaigns each
        for j in range(min(2 + (k == 0), max(1, n // 6))):
            brand[(n - 1 - 3 * k - j) % n] = b
    actions = r.choices(ACTIONS, ACTION_WEIGHTS, k=n)
    if "comment_ring" in opts.active_patterns and actions.count("comment") < min(n, 2):
        for i in range(min(n, 2)):
            actions[i] = "comment"
    shady = {b for b in world.collusion_brands}
    shady.update(i for i, x in enumerate(world.brands) if x["kyc_status"] in ("rejected", "suspended"))
    rooms_of_brand = {b: [i for i in range(len(world.rooms)) if i % n_brands == b] for b in range(n_brands)}
    cols: dict[str, list] = {"brand": [], "room": [], "action": [], "start": [], "end": [], "min_watch": []}
    for i in range(n):
        b, action = brand[i], actions[i]
        own = rooms_of_brand.get(b) or [r.randrange(len(world.rooms))]
        room = r.choice(own) if r.random() < 0.8 else r.randrange(len(world.rooms))
        length = int(r.uniform(min(3, opts.days), max(3, min(21, opts.days))) * DAY) // 1800 * 1800
        start = r.randint(-length + 2 * DAY, max(-length + 2 * DAY, period - 2 * DAY)) if length > 2 * DAY \
            else r.randint(0, max(0, period - length))
        start -= start % 1800
        minutes = r.choice((1, 3, 5, 5, 10, 15)) if action == "watch" else 0
        lo, hi = REWARD_RANGE[action]
        reward = int(round(min(hi * 2, r.randint(lo, hi) * (1 + minutes / 10)), -1))
        deceptive = (b in shady and r.random() < 0.8) or r.random() < 0.04
        world.campaigns.append({
            "id": f"c{i + 1:05d}", "brand_id": world.brands[b]["id"], "room_id": world.rooms[room]["id"],
            "action": action, "reward_cents": max(reward, lo),
            "commission_rate": r.choice((0.1, 0.12, 0.15, 0.15, 0.18, 0.2)),
            "min_watch_seconds": minutes * 60 if action == "watch" else None,
            "brief": campaign_brief(r, action, world.rooms[room]["name"], world.room_category[room],
                                    minutes, deceptive),
        })
        for key, value in (("brand", b), ("room", room), ("action", ACTIONS.index(action)),
                           ("start", start), ("end", start + length), ("min_watch", minutes * 60)):
            cols[key].append(value)
    world.camp = {k: np.array(v, dtype=np.int64) for k, v in cols.items()}
    world.camp["weight"] = rng.lognormal(0.0, 0.8, size=n)


def finalize_campaigns(world: World, completions: np.ndarray) -> list[dict]:
    """Campaign rows with caps and budgets sized to what was actually completed."""
    r = py_random(stream(world.options.seed, "campaign-caps"))
    starts = world.iso(world.camp["start"])
    ends = world.iso(world.camp["end"])
    rows = []
    for i, camp in enumerate(world.campaigns):
        done = int(completions[i])
        cap = max(50, int(np.ceil(done * r.uniform(1.0, 1.6) / 50.0)) * 50)
        budget = int(np.ceil(camp["reward_cents"] * cap * (1 + camp["commission_rate"]) / 100.0)) * 100
        row = {k: camp[k] for k in ("id", "brand_id", "room_id", "action", "reward_cents")}
        row.update(budget_cents=budget, commission_rate=camp["commission_rate"], max_completions=cap)
        if camp["min_watch_seconds"] is not None:
            row["min_watch_seconds"] = camp["min_watch_seconds"]
        row.update(brief=camp["brief"], starts_at=starts[i], ends_at=ends[i])
        rows.append(row)
    return rows

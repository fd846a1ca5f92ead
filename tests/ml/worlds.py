"""Tiny worlds for scoring tests: honest-looking proofs with distinct evidence, optionally linked."""
from __future__ import annotations

from tests.factories import WorldBuilder, brand, campaign, device, proof, room, session, worker

COMMENTS = ["颜色好看", "已下单了", "主播讲得很清楚", "价格还可以",
            "想要粉色款", "质地怎么样", "第二次买了", "包装很精致"]


def honest_world(world: WorldBuilder, n: int = 6, links: dict[int, dict] | None = None) -> WorldBuilder:
    """n workers with one proof each and nothing shared; `links` overrides proof fields per index."""
    world.add("brands", brand()).add("rooms", room()).add("sessions", session()).add("campaigns", campaign())
    for i in range(1, n + 1):
        world.add("workers", worker(id=f"w{i}", phone=f"+8613800138{i:03d}", created_at="2025-03-01T12:00:00+08:00"))
        fields = dict(id=f"p{i}", worker_id=f"w{i}", ip=f"223.104.{i}.7", screenshot_sha256=f"{i:064x}",
                      screenshot_phash=f"{i * 0x1234567:016x}", comment_text=COMMENTS[(i - 1) % len(COMMENTS)],
                      accepted_at=f"2026-10-01T20:{i:02d}:00+08:00", started_at=f"2026-10-01T20:{i:02d}:30+08:00",
                      submitted_at=f"2026-10-01T20:{i + 5:02d}:00+08:00",
                      device=device(fingerprint=f"fp-{i}", canvas_hash=f"canvas{i}"))
        fields.update((links or {}).get(i, {}))
        world.add("proofs", proof(**fields))
    return world

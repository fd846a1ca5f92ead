"""Factories with overridable defaults: a tiny world directory in the exchange format."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

T0 = "2026-10-01T20:00:00+08:00"


def brand(**kw: Any) -> dict:
    return {"id": "b1", "name": "Glow Cosmetics", "kyc_status": "verified", "license_no": "91310000MA1K4XXXX1",
            "contact_email": "ops@glow.example", "created_at": "2026-01-05T10:00:00+08:00", **kw}


def room(**kw: Any) -> dict:
    return {"id": "r1", "platform": "douyin", "name": "Glow 直播间", "category": "美妆", **kw}


def session(**kw: Any) -> dict:
    return {"id": "s1", "room_id": "r1", "starts_at": "2026-10-01T19:00:00+08:00",
            "ends_at": "2026-10-01T23:00:00+08:00", **kw}


def campaign(**kw: Any) -> dict:
    return {"id": "c1", "brand_id": "b1", "room_id": "r1", "action": "comment", "reward_cents": 100,
            "budget_cents": 100_000, "commission_rate": 0.15, "max_completions": 1000,
            "brief": "在直播间真实评论你对新品的看法", "starts_at": "2026-10-01T00:00:00+08:00",
            "ends_at": "2026-10-31T00:00:00+08:00", **kw}


def worker(**kw: Any) -> dict:
    return {"id": "w1", "created_at": "2026-03-01T12:00:00+08:00", "region": "CN-GD", "timezone": "Asia/Shanghai",
            "language": "zh-CN", "phone": "+8613800138000", **kw}


def device(**kw: Any) -> dict:
    return {"fingerprint": "fp-001", "platform": "iPhone", "os": "iOS 18.1", "screen": "1170x2532",
            "timezone": "Asia/Shanghai", "language": "zh-CN", "webdriver": False, "emulator": False,
            "touch_points": 5, "hardware_concurrency": 6, "canvas_hash": "c0ffee01", "webgl_renderer": "Apple GPU",
            **kw}


def proof(**kw: Any) -> dict:
    return {"id": "p1", "campaign_id": "c1", "worker_id": "w1", "accepted_at": "2026-10-01T20:00:00+08:00",
            "started_at": "2026-10-01T20:00:30+08:00", "submitted_at": "2026-10-01T20:05:00+08:00",
            "ip": "223.104.3.77",
            "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
            "comment_text": "这个颜色好适合黄皮", "screenshot_sha256": "a" * 64, "screenshot_phash": "8f3c1e0000ffaa11",
            "device": device(), **kw}


def decision(**kw: Any) -> dict:
    return {"proof_id": "p1", "decision": "approved", "reason": "ok", "decided_at": "2026-10-02T10:00:00+08:00", **kw}


class WorldBuilder:
    """Collect rows per file, then write them as JSON Lines."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.rows: dict[str, list[Any]] = {}

    def add(self, name: str, *rows: Any) -> WorldBuilder:
        self.rows.setdefault(name, []).extend(rows)
        return self

    def basic(self, proofs: int = 3) -> WorldBuilder:
        self.add("brands", brand()).add("rooms", room()).add("sessions", session()).add("campaigns", campaign())
        self.add("workers", *(worker(id=f"w{i}", phone=f"+86138001380{i:02d}") for i in range(1, proofs + 1)))
        self.add("proofs", *(proof(id=f"p{i}", worker_id=f"w{i}", ip=f"223.104.3.{i}",
                                   device=device(fingerprint=f"fp-{i}")) for i in range(1, proofs + 1)))
        return self

    def write(self) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        for name, rows in self.rows.items():
            lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
            (self.directory / f"{name}.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return self.directory

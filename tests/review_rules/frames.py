"""Hand-built scoring contexts for rule tests: one dict per proof, defaults for an honest iPhone user."""
from __future__ import annotations

from typing import Any

import pandas as pd

from review_rules.context import DECISION_COLUMNS, SESSION_COLUMNS, ScoringContext
from review_rules.engine import default_config, evaluate

T0 = pd.Timestamp("2026-10-01T12:00:00Z")
IPHONE_UA = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
             "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.50(0x18003237) NetType/WIFI Language/zh_CN")
ANDROID_UA = ("Mozilla/5.0 (Linux; Android 14; 23127PN0CC Build/UKQ1.230804.001; wv) AppleWebKit/537.36 "
              "(KHTML, like Gecko) Version/4.0 Chrome/128.0.6613.146 Mobile Safari/537.36")


COMMENTS = ("这个口红颜色适合黄皮吗", "主播今天讲得很详细", "刚下单了期待收货", "链接在哪里呀找不到",
            "上次买的面膜很好用", "等了好久终于开播了", "学生党可以买吗有点贵", "包邮吗新疆能发货吗",
            "背景音乐叫什么名字", "一边带娃一边看直播")


def proof(i: int, **kw: Any) -> dict:
    """Proof number i: its own account, phone, address and screenshot unless overridden."""
    at = kw.pop("at", T0 + pd.Timedelta(minutes=7 * i))
    row = {
        "proof_id": f"p{i}", "is_target": True, "campaign_id": "c1", "worker_id": f"w{i}",
        "accepted_at": at, "started_at": at + pd.Timedelta(seconds=20), "submitted_at": at + pd.Timedelta(minutes=3),
        "watch_seconds": None, "user_agent": IPHONE_UA,
        "comment_text": COMMENTS[i % len(COMMENTS)] + "。" * (i // len(COMMENTS)),
        "screenshot_sha256": f"{i:064x}", "screenshot_phash": f"{(0x9E3779B97F4A7C15 * (i + 1)) % 2**64:016x}",
        "ip_hash": f"ip{i}", "ip_prefix_hash": f"pre{i}", "ip_version": 4, "ip_country": "CN",
        "ip_asn_name": "China Mobile Communications Group Co., Ltd.", "ip_asn_cidr": "223.104.0.0/24",
        "device_present": True, "device_fp_hash": f"fp{i}", "device_canvas_hash": f"cv{i}",
        "device_platform": "iPhone", "device_os": "iOS 18.1", "device_screen": "1170x2532",
        "device_timezone": "Asia/Shanghai", "device_language": "zh-CN", "device_webdriver": False,
        "device_emulator": False, "device_touch_points": 5, "device_hardware_concurrency": 6,
        "device_webgl_renderer": "Apple GPU",
        "worker_created_at": T0 - pd.Timedelta(days=200), "worker_region": "CN-GD",
        "worker_timezone": "Asia/Shanghai", "worker_language": "zh-CN", "worker_phone_hash": f"ph{i}",
        "brand_id": "b1", "room_id": "r1", "action": "comment", "min_watch_seconds": None,
        "campaign_starts_at": T0 - pd.Timedelta(days=10), "campaign_ends_at": T0 + pd.Timedelta(days=30),
    }
    unknown = set(kw) - set(row)
    assert not unknown, f"unknown proof fields {unknown}"
    row.update(kw)
    return row


def context(rows: list[dict], sessions: list[dict] | None = None, decisions: list[dict] | None = None,
            now: pd.Timestamp | None = None) -> ScoringContext:
    frame = pd.DataFrame(rows)
    session_frame = pd.DataFrame(sessions, columns=list(SESSION_COLUMNS)) if sessions else \
        pd.DataFrame(columns=list(SESSION_COLUMNS))
    decision_frame = pd.DataFrame(decisions, columns=list(DECISION_COLUMNS)) if decisions else \
        pd.DataFrame(columns=list(DECISION_COLUMNS))
    latest = frame["submitted_at"].max() if len(frame) else T0
    moment = now if now is not None else latest + pd.Timedelta(hours=1)
    return ScoringContext(frame, session_frame, decision_frame, moment)


def scores(rows: list[dict], code: str, config: dict | None = None, **kw: Any) -> pd.Series:
    """The score of one signal for every target proof, indexed by proof_id."""
    return evaluate(context(rows, **kw), config or default_config()).scores[code]


def run(rows: list[dict], config: dict | None = None, **kw: Any):  # noqa: ANN201 - RuleOutput
    return evaluate(context(rows, **kw), config or default_config())


def with_params(code: str, **params: Any) -> dict:
    config = default_config()
    config["signals"][code]["params"].update(params)
    return config

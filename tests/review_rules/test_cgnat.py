"""Honest people behind one gateway (carrier NAT, a VPN exit) must not look like a farm; a farm must."""
from __future__ import annotations

import pandas as pd

from review_rules.combine import combine
from review_rules.engine import default_config
from tests.review_rules.frames import ANDROID_UA, T0, proof, run

MODELS = [  # (platform, os, screen, gpu, cores, user agent)
    ("iPhone", "iOS 18.1", "1170x2532", "Apple GPU", 6, None),
    ("iPhone", "iOS 17.5", "828x1792", "Apple GPU", 6, None),
    ("Linux aarch64", "Android 14", "1200x2670", "Adreno (TM) 750", 8, ANDROID_UA),
    ("Linux armv8l", "Android 13", "1080x2400", "Mali-G57 MC2", 8, ANDROID_UA),
]


def _stranger(i: int, network: dict) -> dict:
    platform, os_name, screen, gpu, cores, agent = MODELS[i % len(MODELS)]
    fields = {"device_platform": platform, "device_os": os_name, "device_screen": screen,
              "device_webgl_renderer": gpu, "device_hardware_concurrency": cores}
    if agent:
        fields.update(user_agent=agent, device_touch_points=10)
    return proof(i, ip_hash="gateway", ip_prefix_hash="gateway24", campaign_id=f"c{i % 3}",
                 at=T0 + pd.Timedelta(minutes=2 * i), **network, **fields)


def _routes(rows: list[dict]) -> pd.Series:
    config = default_config()
    return combine(run(rows, config=config), None, config)["route"]


def test_many_honest_phones_behind_one_carrier_address_are_approved() -> None:
    carrier = {"ip_asn_name": "China Mobile Communications Group Co., Ltd.", "ip_country": "CN"}
    routes = _routes([_stranger(i, carrier) for i in range(40)])
    assert (routes == "auto_approve").all()


def test_honest_vpn_users_sharing_an_exit_are_not_held() -> None:
    exit_node = {"ip_asn_name": "AMAZON-02", "ip_country": "JP", "ip_asn_cidr": "54.64.0.0/15"}
    routes = _routes([_stranger(i, exit_node) for i in range(25)])
    assert (routes == "auto_approve").all()


def test_a_farm_behind_the_same_carrier_address_is_held() -> None:
    carrier = {"ip_asn_name": "China Mobile Communications Group Co., Ltd.", "ip_country": "CN"}
    farm = [proof(i, ip_hash="gateway", ip_prefix_hash="gateway24", device_canvas_hash="wall",
                  device_fp_hash=f"fp{i % 3}", worker_created_at=T0 - pd.Timedelta(hours=5),
                  at=T0 + pd.Timedelta(minutes=2 * i), **carrier) for i in range(12)]
    routes = _routes(farm)
    assert (routes == "hold").all()

"""IP signals over hand-built frames: network owners, geography, shared addresses, CGNAT."""
from __future__ import annotations

import pandas as pd
import pytest

from review_rules import ipintel
from tests.review_rules.frames import T0, proof, scores

CARRIER = {"ip_asn_name": "China Mobile Communications Group Co., Ltd.", "ip_country": "CN"}
HOME_ISP = {"ip_asn_name": "COMCAST-7922", "ip_country": "US", "ip_asn_cidr": "73.0.0.0/8"}
CLOUD = {"ip_asn_name": "AMAZON-02", "ip_country": "JP", "ip_asn_cidr": "54.64.0.0/15"}


@pytest.mark.parametrize(("name", "cidr", "kind"), [
    ("AMAZON-02", None, "hosting"),
    ("IDC ShanXi China Mobile communications corporation", None, "hosting"),
    ("Tencent Building, Kejizhongyi Avenue", None, "hosting"),
    ("China Mobile Communications Group Co., Ltd.", None, "carrier"),
    ("CHINA UNICOM China169 Backbone", None, "carrier"),
    ("Chinanet", None, "carrier"),
    ("COMCAST-7922", None, "isp"),
    ("Stiftung Erneuerbare Freiheit", None, "tor"),
    ("SOME HOSTER", "185.220.101.0/24", "tor"),
    ("M247 Europe SRL", None, "proxy"),
    (None, None, "unknown"),
])
def test_network_kind_from_curated_lists(name: str | None, cidr: str | None, kind: str) -> None:
    assert ipintel.network_kind(name, cidr) == kind


def test_lookup_enriches_ipv4_and_ipv6_offline() -> None:
    assert ipintel.lookup("223.104.3.77").country == "CN"
    v6 = ipintel.lookup("2409:8900::1")
    assert v6.country == "CN" and "Mobile" in (v6.asn_name or "")


def test_timezone_and_region_countries() -> None:
    zones = ipintel.timezone_country(pd.Series(["Asia/Shanghai", "PRC", "Europe/Berlin", None, "Mars/Base"]))
    assert zones.tolist() == ["CN", "CN", "DE", None, None]
    regions = ipintel.region_country(pd.Series(["CN-GD", "hk", "US-CA", None, "12"]))
    assert regions.tolist() == ["CN", "HK", "US", None, None]


@pytest.mark.parametrize(("network", "expected"), [(CLOUD, 1.0), (CARRIER, 0.0), (HOME_ISP, 0.0)])
def test_hosting_asn(network: dict, expected: float) -> None:
    assert scores([proof(1, **network)], "ip.hosting_asn")["p1"] == expected


@pytest.mark.parametrize(("network", "expected"), [
    ({"ip_asn_name": "F3 Netze e.V.", "ip_country": "DE"}, 1.0),
    ({"ip_asn_name": "unlisted hoster", "ip_asn_cidr": "171.25.193.0/24", "ip_country": "SE"}, 1.0),
    ({"ip_asn_name": "M247 Europe SRL", "ip_country": "DE"}, 0.7),
    (CLOUD, 0.0),
])
def test_tor_and_proxy_operators(network: dict, expected: float) -> None:
    assert scores([proof(1, **network)], "ip.tor_proxy")["p1"] == pytest.approx(expected)


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, 0.0),  # CN address, CN region
    ({**HOME_ISP}, 0.3),  # time zone agrees with the region: a home user on a VPN / foreign line
    ({**HOME_ISP, "device_timezone": "America/New_York"}, 0.2),  # time zone agrees with the IP: traveller
    ({**HOME_ISP, "device_timezone": "Europe/Berlin"}, 1.0),  # a third place
    ({**HOME_ISP, "device_timezone": None}, 1.0),
    ({**CLOUD}, 0.0),  # data-centre countries mean nothing; ip.hosting_asn covers it
])
def test_geo_mismatch(fields: dict, expected: float) -> None:
    assert scores([proof(1, **fields)], "ip.geo_mismatch")["p1"] == pytest.approx(expected)


def _crowd(n: int, network: dict, same_hardware: bool = False) -> list[dict]:
    """n accounts on one address within an hour, each on its own phone unless `same_hardware`."""
    rows = []
    for i in range(n):
        hw = {} if same_hardware else {"device_canvas_hash": f"cv{i}", "device_screen": f"{1000 + i}x2000"}
        rows.append(proof(i, ip_hash="gateway", ip_prefix_hash="gw24", at=T0 + pd.Timedelta(minutes=4 * i),
                          **network, **hw, **({"device_canvas_hash": "same"} if same_hardware else {})))
    return rows


def test_many_strangers_on_a_carrier_address_are_weak_evidence() -> None:
    carrier = scores(_crowd(12, CARRIER), "ip.shared_accounts")
    home = scores(_crowd(12, HOME_ISP), "ip.shared_accounts")
    assert (home == 1.0).all()
    assert carrier.max() <= 0.1


def test_carrier_address_shared_by_identical_hardware_counts_fully() -> None:
    linked = scores(_crowd(12, CARRIER, same_hardware=True), "ip.shared_accounts")
    assert (linked == 1.0).all()


def test_shared_address_outside_the_window_does_not_count() -> None:
    rows = [proof(i, ip_hash="home", **HOME_ISP, at=T0 + pd.Timedelta(days=3 * i)) for i in range(6)]
    assert (scores(rows, "ip.shared_accounts") == 0).all()


def test_account_hopping_across_proxy_exits() -> None:
    exits = [dict(CLOUD, ip_hash=f"exit{i}", ip_country=c) for i, c in enumerate("JP US DE SG NL FR GB KR".split())]
    hopper = [proof(i, worker_id="w1", at=T0 + pd.Timedelta(hours=5 * i), **exits[i]) for i in range(8)]
    vpn_user = [proof(10 + i, worker_id="w2", at=T0 + pd.Timedelta(hours=5 * i), **exits[i % 2]) for i in range(8)]
    result = scores(hopper + vpn_user, "ip.many_networks")
    assert result[[f"p{i}" for i in range(8)]].max() == 1.0
    assert result[[f"p{10 + i}" for i in range(8)]].max() == 0.0


def test_mobile_users_changing_carrier_addresses_are_not_hopping() -> None:
    rows = [proof(i, worker_id="w1", ip_hash=f"m{i}", at=T0 + pd.Timedelta(hours=i), **CARRIER) for i in range(20)]
    assert scores(rows, "ip.many_networks").max() == 0.0


def _campus(n: int, *, same_hardware: bool = False, spread_minutes: float = 97.0) -> list[dict]:
    """n accounts on one office/campus line over days, each on its own phone unless `same_hardware`."""
    return [proof(i, ip_hash="campus", ip_prefix_hash="campus24", **HOME_ISP,
                  at=T0 + pd.Timedelta(minutes=spread_minutes * i),
                  **({"device_fp_hash": "fp-farm", "device_canvas_hash": "same"} if same_hardware else
                     {"device_canvas_hash": f"cv{i}", "device_screen": f"{1000 + i}x2000"}))
            for i in range(n)]


def test_an_address_the_data_shows_to_be_public_is_weak_evidence() -> None:
    # many accounts, each on its own device, on their own timing: a campus or an office
    assert scores(_campus(30), "ip.shared_accounts").max() <= 0.1
    # 20 people who each came back the next day: a home address would link them into a ring
    twice = _campus(20) + [dict(row, proof_id=row["proof_id"] + "b",
                                screenshot_sha256="b" + row["screenshot_sha256"][1:],
                                submitted_at=row["submitted_at"] + pd.Timedelta(days=1, minutes=13),
                                accepted_at=row["accepted_at"] + pd.Timedelta(days=1, minutes=13))
                           for row in _campus(20)]
    assert scores(twice, "graph.ring").max() == 0.0
    family = [dict(row, device_canvas_hash="cv-shared", device_screen="1x1") for row in twice]  # one device model
    assert scores(family, "graph.ring").max() == 1.0


def test_a_farm_behind_one_line_is_not_mistaken_for_a_campus() -> None:
    burst = scores(_campus(30, spread_minutes=1.5), "ip.shared_accounts")  # all in 45 minutes
    one_phone = scores(_campus(30, same_hardware=True), "ip.shared_accounts")  # one device, many accounts
    assert burst.min() == 1.0 and one_phone.max() == 1.0


def test_a_busy_hour_on_different_campaigns_is_still_a_campus() -> None:
    lunch = [dict(row, campaign_id=f"c{i}") for i, row in enumerate(_campus(30, spread_minutes=1.5))]
    assert scores(lunch, "ip.shared_accounts").max() <= 0.1

"""Device signals: fingerprints, hardware traits, automation and user agents that lie."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from crawlerdetect import CrawlerDetect

from review_rules import useragents
from review_rules.frame import ProofFrame
from tests.review_rules.frames import ANDROID_UA, IPHONE_UA, T0, context, proof, scores

HEADLESS = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 "
            "Safari/537.36")
ANDROID_PHONE = {"user_agent": ANDROID_UA, "device_platform": "Linux aarch64", "device_os": "Android 14",
                 "device_touch_points": 10, "device_webgl_renderer": "Adreno (TM) 750", "device_screen": "1200x2670"}


@pytest.mark.parametrize("agent", [
    IPHONE_UA, ANDROID_UA, HEADLESS, "python-requests/2.32.3", "okhttp/4.12.0", "Go-http-client/2.0",
    "Googlebot/2.1 (+http://www.google.com/bot.html)", "curl/8.4.0", "Scrapy/2.11 (+https://scrapy.org)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
])
def test_bot_verdict_matches_crawlerdetect(agent: str) -> None:
    assert (useragents.bot_match(agent) is not None) == CrawlerDetect().isCrawler(agent)


def test_required_literals_cover_groups_and_branches() -> None:
    assert useragents.required_literals("python-requests") == ("python-requests",)
    assert useragents.required_literals("[a-z]*(bot|crawl)") == ("bot", "crawl")
    assert useragents.required_literals("^a.b") is None


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, 0.0),
    ({"device_present": False, "device_fp_hash": None}, 1.0),
    ({"device_fp_hash": None}, 0.5),
])
def test_missing_device(fields: dict, expected: float) -> None:
    assert scores([proof(1, **fields)], "device.missing")["p1"] == expected


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, 0.0),
    ({"device_webdriver": True}, 1.0),
    ({"user_agent": HEADLESS}, 1.0),
    ({"user_agent": "okhttp/4.12.0", "device_present": False}, 1.0),
])
def test_automation(fields: dict, expected: float) -> None:
    assert scores([proof(1, **fields)], "device.automation")["p1"] == expected


def test_emulator_flag() -> None:
    result = scores([proof(1), proof(2, device_emulator=True)], "device.emulator")
    assert result.tolist() == [0.0, 1.0]


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, 0.0),  # a consistent iPhone
    (ANDROID_PHONE, 0.0),  # a consistent Android phone
    ({"device_platform": "MacIntel"}, 0.0),  # iPadOS in desktop mode: Mac platform, but a touch screen
    ({"device_platform": "MacIntel", "device_touch_points": 0}, 1.0),  # a real Mac faking an iPhone
    ({"device_platform": "Win32"}, 0.6),
    ({"device_platform": "Linux x86_64", "device_os": "Linux"}, 1.0),  # iPhone UA over a Linux box
    ({**ANDROID_PHONE, "device_platform": "Linux x86_64"}, 0.6),  # Android UA on x86: an emulator
    ({**ANDROID_PHONE, "device_touch_points": 0, "device_webgl_renderer": "Google SwiftShader"}, 1.0),
    ({"user_agent": None}, 0.0),  # nothing to compare
])
def test_user_agent_against_device_traits(fields: dict, expected: float) -> None:
    assert scores([proof(1, **fields)], "device.ua_mismatch")["p1"] == pytest.approx(expected)


@pytest.mark.parametrize(("accounts", "expected"), [(1, 0.0), (2, 0.0), (3, 0.25), (4, 0.5), (6, 1.0)])
def test_one_fingerprint_on_many_accounts(accounts: int, expected: float) -> None:
    rows = [proof(i, device_fp_hash="tablet") for i in range(accounts)]
    assert scores(rows, "device.shared_fingerprint").max() == pytest.approx(expected)


def test_phone_wall_shares_hardware_behind_one_network() -> None:
    wall = [proof(i, device_canvas_hash="redmi", ip_prefix_hash="studio", ip_hash=f"s{i % 2}") for i in range(6)]
    assert (scores(wall, "device.shared_hardware") == 1.0).all()


def test_popular_phone_among_many_different_people_is_not_shared_hardware() -> None:
    crowd = [proof(i, ip_prefix_hash="cgnat", ip_hash="cgnat",
                   **({"device_canvas_hash": "iphone13"} if i < 3 else {"device_screen": f"{900 + i}x1900"}))
             for i in range(20)]
    assert scores(crowd, "device.shared_hardware").max() == 0.0


def test_same_device_on_one_account_is_not_shared_hardware() -> None:
    rows = [proof(i, worker_id="w1", device_fp_hash="fp", device_canvas_hash="c", ip_prefix_hash="home")
            for i in range(5)]
    assert scores(rows, "device.shared_hardware").max() == 0.0


@pytest.mark.parametrize(("fingerprints", "expected"), [(2, 0.0), (3, 0.0), (4, 0.25), (7, 1.0)])
def test_many_fingerprints_on_one_account(fingerprints: int, expected: float) -> None:
    rows = [proof(i, worker_id="w1", device_fp_hash=f"fp{i % fingerprints}",
                  at=T0 + pd.Timedelta(hours=i)) for i in range(8)]
    assert scores(rows, "device.many_fingerprints").max() == pytest.approx(expected)


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, 0.0),
    ({"device_timezone": "America/New_York"}, 1.0),  # abroad clock, domestic address and region
    ({"device_timezone": "Asia/Tokyo", "ip_country": "JP", "ip_asn_name": "KDDI CORPORATION"}, 0.2),  # traveller
    ({"device_timezone": None}, 0.0),
])
def test_timezone_mismatch(fields: dict, expected: float) -> None:
    assert scores([proof(1, **fields)], "device.timezone_mismatch")["p1"] == pytest.approx(expected)


def test_user_agent_traits_are_read_for_the_scored_proofs_only() -> None:
    """A bot or a lying user agent in the history is no evidence against the proof scored beside it,
    and its traits are not derived at all (online, that parse was most of the signal's cost)."""
    liar = {**ANDROID_PHONE, "device_platform": "Linux x86_64", "device_touch_points": 0}
    history = [proof(2, user_agent=HEADLESS, is_target=False), proof(3, **liar, is_target=False)]
    assert scores([proof(1), *history], "device.automation").tolist() == [0.0]
    assert scores([proof(1), *history], "device.ua_mismatch").tolist() == [0.0]
    frame = ProofFrame(context([proof(1), *history]))
    assert frame.ua["ua_bot"].tolist() == [False, False, False]
    assert frame.ua["ua_os"].tolist() == ["ios", "none", "none"]
    count, text = frame.ua_mismatch
    assert count.tolist() == [0.0, 0.0, 0.0] and text.tolist() == ["", "", ""]


def test_mismatch_table_of_some_rows_agrees_with_the_whole_table() -> None:
    devices = pd.DataFrame([proof(1), proof(2, **{**ANDROID_PHONE, "device_touch_points": 0}),
                            proof(3, device_platform="Win32"), proof(4, user_agent=None)])
    traits = useragents.describe(devices["user_agent"].to_numpy(dtype=object))
    whole_count, whole_text = useragents.mismatch_table(traits, devices)
    some_count, some_text = useragents.mismatch_table(traits, devices, rows=np.array([1, 2]))
    assert whole_count.tolist() == [0.0, 1.0, 1.0, 0.0]
    assert some_count.tolist() == [0.0, *whole_count[1:3], 0.0]
    assert some_text.tolist() == ["", *whole_text[1:3], ""]

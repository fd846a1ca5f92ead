"""Device signals: the client fingerprint, its hardware traits, and the user agent beside them."""
from __future__ import annotations

import numpy as np
import pandas as pd

from review_rules.frame import DAY, HOUR, ProofFrame
from review_rules.groups import dense, examples, nunique_by, ramp, windowed_groups, windowed_nunique
from review_rules.params import FloatParam, IntParam
from review_rules.reasons import said
from review_rules.registry import SignalResult, signal


@signal("device.missing", row_local=True, title="No device fingerprint", weight=0.15,
        params=(FloatParam("no_fingerprint_score", 0.5, "score when a device object came without a visitor id",
                           minimum=0.0, maximum=1.0),))
def missing(frame: ProofFrame, p: dict) -> SignalResult:
    """The proof came without the device object the task page always sends (scripts post the
    proof directly), or with one that has no visitor id. Some honest clients block the script."""
    present = frame.flag("device_present")
    no_fp = frame.codes("device_fp_hash") < 0
    score = np.where(~present, 1.0, np.where(no_fp, p["no_fingerprint_score"], 0.0))
    return SignalResult(score, lambda rows: [said("no device object with the proof") if not present[r]
                                             else said("device object without a visitor id") for r in rows])


@signal("device.automation", row_local=True, title="Automation or bot client", weight=0.85)
def automation(frame: ProofFrame, p: dict) -> SignalResult:
    """The browser reports `navigator.webdriver` (Selenium, Puppeteer, Playwright), or the user
    agent is a known bot, headless browser or HTTP library (crawlerdetect's maintained list)."""
    webdriver = frame.flag("device_webdriver")
    bot, match = frame.ua["ua_bot"], frame.ua["ua_bot_match"]
    score = (webdriver | bot).astype(float)

    def explain(rows: np.ndarray) -> list[str]:
        return [said("navigator.webdriver is true; user agent matches bot pattern '%(pattern)s'", pattern=match[r])
                if webdriver[r] and bot[r] else said("navigator.webdriver is true") if webdriver[r]
                else said("user agent matches bot pattern '%(pattern)s'", pattern=match[r]) for r in rows]

    return SignalResult(score, explain)


@signal("device.emulator", row_local=True, title="Android emulator", weight=0.6)
def emulator(frame: ProofFrame, p: dict) -> SignalResult:
    """The fingerprint script detected an emulator (LDPlayer, MuMu, BlueStacks and the like):
    one PC running many virtual phones is the usual device farm."""
    score = frame.flag("device_emulator").astype(float)
    platform = frame.text("device_platform")
    return SignalResult(score, lambda rows: [said("emulator detected (platform %(platform)s)",
                                                  platform=platform[r] or said("unknown")) for r in rows])


@signal("device.ua_mismatch", row_local=True, title="User agent contradicts the device", weight=0.55,
        params=(FloatParam("single_score", 0.6, "score for one contradiction (two or more score 1)",
                           minimum=0.0, maximum=1.0),))
def ua_mismatch(frame: ProofFrame, p: dict) -> SignalResult:
    """The user agent (parsed by ua-parser) names another system than the device traits: an
    iPhone UA on a Linux platform, an Android UA on x86, a phone UA without a touch screen or
    on a software / desktop GPU. Spoofed user agents over emulators and servers look like this."""
    count, text = frame.ua_mismatch
    score = np.where(count >= 2, 1.0, np.where(count == 1, p["single_score"], 0.0))
    return SignalResult(score, lambda rows: [text[r] for r in rows], {"ua_mismatch_count": count})


@signal("device.shared_fingerprint", title="One fingerprint on many accounts", weight=0.7,
        params=(IntParam("window_days", 30, "period looked at", "d", minimum=1, maximum=365),
                IntParam("min_accounts", 3, "accounts at which the score starts", minimum=2, maximum=1000),
                IntParam("full_accounts", 6, "accounts at which the score is full", minimum=3, maximum=5000)),
        order=(("min_accounts", "full_accounts"),))
def shared_fingerprint(frame: ProofFrame, p: dict) -> SignalResult:
    """The same visitor id on several accounts. A family may share one tablet, so two accounts
    are normal; beyond that one device is running many accounts."""
    accounts, group = windowed_groups(frame.codes("device_fp_hash"), frame.worker, frame.submitted,
                                      p["window_days"] * DAY)
    score = ramp(accounts, p["min_accounts"] - 1, p["full_accounts"])
    return SignalResult(score, lambda rows: [
        said("fingerprint seen on %(accounts)s accounts in %(days)s d: %(names)s", accounts=accounts[r],
             days=p["window_days"], names=n)
        for r, n in zip(rows, examples(group, frame.worker_ids, rows), strict=True)], {"fp_accounts_window": accounts})


@signal("device.shared_hardware", title="Identical hardware on many accounts behind one network", weight=0.6,
        params=(IntParam("window_hours", 72, "period looked at", "h", minimum=1, maximum=2160),
                IntParam("min_accounts", 3, "accounts at which the score starts", minimum=2, maximum=1000),
                IntParam("full_accounts", 6, "accounts at which the score is full", minimum=3, maximum=5000),
                FloatParam("min_share", 0.3, "share of the network's accounts on this hardware where the score "
                           "starts", minimum=0.0, maximum=1.0),
                FloatParam("full_share", 0.7, "share where the score is full", minimum=0.01, maximum=1.0)),
        order=(("min_accounts", "full_accounts"), ("min_share", "full_share")))
def shared_hardware(frame: ProofFrame, p: dict) -> SignalResult:
    """Accounts with the same canvas hash, WebGL renderer, screen, core count and platform behind
    the same /24 within the window, even though their fingerprints differ (a phone wall or an
    emulator image resets the visitor id per account). Popular phones share these traits, so
    the score also needs them to be a large share of the accounts on that network."""
    window, t = p["window_hours"] * HOUR, frame.submitted
    prefix = frame.codes("ip_prefix_hash")
    same, group = windowed_groups(dense(frame.hardware, prefix), frame.worker, t, window)
    all_accounts = windowed_nunique(prefix, frame.worker, t, window)
    fingerprints = windowed_nunique(dense(frame.hardware, prefix), frame.codes("device_fp_hash"), t, window)
    share = np.where(all_accounts > 0, same / np.maximum(all_accounts, 1), 0.0)
    score = ramp(same, p["min_accounts"] - 1, p["full_accounts"]) * ramp(share, p["min_share"], p["full_share"])
    score = np.where(fingerprints >= 2, score, 0.0)

    def explain(rows: np.ndarray) -> list[str]:
        names = examples(group, frame.worker_ids, rows)
        return [said("%(same)s of %(accounts)s accounts on this /24 within %(hours)s h have identical hardware "
                     "(%(fingerprints)s fingerprints): %(names)s", same=same[r], accounts=all_accounts[r],
                     hours=p["window_hours"], fingerprints=fingerprints[r], names=n)
                for r, n in zip(rows, names, strict=True)]

    return SignalResult(score, explain, {"hw_accounts_prefix": same, "hw_share_prefix": share,
                                         "hw_global_accounts": nunique_by(frame.hardware, frame.worker)})


@signal("device.many_fingerprints", title="One account on many devices", weight=0.35,
        params=(IntParam("window_days", 30, "period looked at", "d", minimum=1, maximum=365),
                IntParam("min_fingerprints", 4, "fingerprints at which the score starts", minimum=2, maximum=1000),
                IntParam("full_fingerprints", 7, "fingerprints at which the score is full", minimum=3,
                         maximum=5000)),
        order=(("min_fingerprints", "full_fingerprints"),))
def many_fingerprints(frame: ProofFrame, p: dict) -> SignalResult:
    """Distinct visitor ids one account used within the period. People own a phone or two and
    clear storage now and then; emulators and farms rotate ids per session."""
    fps, group = windowed_groups(frame.worker, frame.codes("device_fp_hash"), frame.submitted, p["window_days"] * DAY)
    score = ramp(fps, p["min_fingerprints"] - 1, p["full_fingerprints"])
    return SignalResult(score, lambda rows: [said("%(fingerprints)s device fingerprints on this account in "
                                                  "%(days)s d", fingerprints=fps[r], days=p["window_days"])
                                             for r in rows],
                        {"worker_fingerprints_window": fps})


@signal("device.timezone_mismatch", title="Device time zone fits neither the region nor the IP", weight=0.45,
        params=(FloatParam("traveller_score", 0.2, "score when the time zone agrees with the IP country but not "
                           "the region", minimum=0.0, maximum=1.0),))
def timezone_mismatch(frame: ProofFrame, p: dict) -> SignalResult:
    """The device clock is set to a country that is neither the worker's registered region nor
    where the IP is: a device configured abroad working through a domestic address (or a
    proxy). A time zone that agrees with the IP but not the region is a traveller: weak."""
    tz_c, region_c, ip_c = frame.timezone_country, frame.region_country, frame.ip_country
    known = pd.notna(tz_c) & pd.notna(region_c)
    off_region = known & (tz_c != region_c)
    score = np.where(off_region, np.where(tz_c == ip_c, p["traveller_score"], 1.0), 0.0)
    zone = frame.text("device_timezone")
    return SignalResult(score, lambda rows: [
        said("device time zone %(zone)s (%(zone_country)s), account region in %(region)s, IP in %(ip)s",
             zone=zone[r], zone_country=tz_c[r], region=region_c[r], ip=ip_c[r] or said("unknown")) for r in rows])

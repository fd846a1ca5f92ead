"""IP signals: who operates the network, where it is, and how addresses are shared.

Rules see the network owner and country (offline enrichment at ingestion) and keyed hashes of
the address and its /24, never the raw address.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from review_rules.frame import DAY, HOUR, ProofFrame
from review_rules.groups import dense, examples, factorize, ramp, windowed_groups, windowed_nunique
from review_rules.linkage import public_addresses
from review_rules.params import FloatParam, IntParam
from review_rules.reasons import NOTHING, said
from review_rules.registry import SignalResult, signal

NON_CARRIER = ("hosting", "proxy", "tor", "isp")
SHARED_BY_DESIGN = ("hosting", "proxy", "tor")
CONSUMER = ("carrier", "isp")


def _network_label(frame: ProofFrame, rows: np.ndarray) -> list[str]:
    names = frame.text("ip_asn_name")[rows]
    countries = frame.ip_country[rows]
    return [said("%(network)s (%(country)s)", network=name or said("an unnamed network"),
                 country=country or said("country unknown")) for name, country in zip(names, countries, strict=True)]


@signal("ip.hosting_asn", row_local=True, title="Data-centre or cloud network", weight=0.2)
def hosting_asn(frame: ProofFrame, p: dict) -> SignalResult:
    """The address belongs to a data centre, cloud or server host (ASN name matches
    review_rules/data/asn_hosting.txt). People browse from phones and homes; a proof from a
    server came through a VPN, a proxy or a script. Honest VPN users exist, so alone this is weak."""
    score = (frame.network == "hosting").astype(float)
    return SignalResult(score, lambda rows: [said("address on %(network)s, a data-centre / cloud network",
                                                  network=label) for label in _network_label(frame, rows)])


@signal("ip.tor_proxy", row_local=True, title="Tor exit or anonymising proxy", weight=0.5,
        params=(FloatParam("proxy_score", 0.7, "score for a VPN / proxy host (Tor exits score 1)",
                           minimum=0.0, maximum=1.0),))
def tor_proxy(frame: ProofFrame, p: dict) -> SignalResult:
    """The address is a known Tor exit (operator name in data/asn_tor.txt or network inside
    data/tor_exit_prefixes.txt) or a network that mostly sells VPN / proxy exits (data/asn_proxy.txt)."""
    kind = frame.network
    score = np.where(kind == "tor", 1.0, np.where(kind == "proxy", p["proxy_score"], 0.0))

    def explain(rows: np.ndarray) -> list[str]:
        what = {"tor": said("a Tor exit operator"), "proxy": said("a VPN / proxy host")}
        labels = _network_label(frame, rows)
        return [said("address on %(network)s: %(kind)s", network=label, kind=what[k])
                for label, k in zip(labels, kind[rows], strict=True)]

    return SignalResult(score, explain)


@signal("ip.geo_mismatch", row_local=True, title="IP country differs from the account's region", weight=0.3,
        params=(FloatParam("vpn_like_score", 0.3, "score when the device time zone agrees with the region "
                           "(a home user on a VPN)", minimum=0.0, maximum=1.0),
                FloatParam("traveller_score", 0.2, "score when the device time zone agrees with the IP "
                           "(a traveller)", minimum=0.0, maximum=1.0)))
def geo_mismatch(frame: ProofFrame, p: dict) -> SignalResult:
    """The IP's country (of a consumer network; data centres are placed anywhere) is not the
    country of the worker's registered region. Full score when the device time zone points to yet
    another place (or is missing); reduced when the time zone agrees with the region (a home
    user on a VPN) or with the IP (a traveller)."""
    ip_c, region_c, tz_c = frame.ip_country, frame.region_country, frame.timezone_country
    known = pd.notna(ip_c) & pd.notna(region_c)
    # A data centre's country says nothing about the person: ip.hosting_asn / ip.tor_proxy cover those.
    differs = known & (ip_c != region_c) & ~np.isin(frame.network, SHARED_BY_DESIGN)
    score = np.where(differs, np.where(tz_c == region_c, p["vpn_like_score"],
                                       np.where(tz_c == ip_c, p["traveller_score"], 1.0)), 0.0)
    return SignalResult(score, lambda rows: [
        said("IP in %(ip)s, account region in %(region)s, device time zone in %(zone)s", ip=ip_c[r],
             region=region_c[r], zone=tz_c[r] or said("unknown")) for r in rows])


def _address_counts(frame: ProofFrame, window: float) -> tuple[np.ndarray, ...]:
    """(accounts, their group, counted on the /24, accounts linked by hardware or fingerprint, network
    shared by design) per row: ip.shared_accounts' counts within `window` seconds."""
    t, ip, prefix = frame.submitted, frame.codes("ip_hash"), frame.codes("ip_prefix_hash")
    accounts, group = windowed_groups(ip, frame.worker, t, window)
    shared_by_design = np.isin(frame.network, SHARED_BY_DESIGN)
    by_prefix, prefix_group = windowed_groups(np.where(shared_by_design, prefix, -1), frame.worker, t, window)
    use_prefix = by_prefix > accounts
    accounts, group = np.where(use_prefix, by_prefix, accounts), np.where(use_prefix, prefix_group + group.max(
        initial=0) + 1, group)
    same_hw = windowed_nunique(dense(ip, frame.hardware), frame.worker, t, window)
    same_fp = windowed_nunique(dense(ip, frame.codes("device_fp_hash")), frame.worker, t, window)
    return accounts, group, use_prefix, np.maximum(same_hw, same_fp), shared_by_design


@signal("ip.shared_accounts", title="Many accounts on one address", weight=0.45,
        params=(IntParam("window_hours", 24, "how close in time the accounts must be", "h", minimum=1, maximum=720),
                IntParam("min_accounts", 3, "accounts at which the score starts", minimum=1, maximum=1000),
                IntParam("full_accounts", 10, "accounts at which the score is full", minimum=2, maximum=5000),
                FloatParam("carrier_factor", 0.1, "multiplier on mobile-carrier / CGNAT networks",
                           minimum=0.0, maximum=1.0),
                FloatParam("hosting_factor", 0.1, "multiplier on data-centre, VPN and Tor exits (shared by "
                           "design)", minimum=0.0, maximum=1.0),
                FloatParam("public_factor", 0.1, "multiplier on addresses that behave like a campus or office: "
                           "many accounts, each on its own device, on their own timing", minimum=0.0, maximum=1.0)),
        order=(("min_accounts", "full_accounts"),))
def shared_accounts(frame: ProofFrame, p: dict) -> SignalResult:
    """Distinct accounts submitting from the same address (for data centres: the same /24)
    within the window. Carrier NAT and VPN exits put strangers on one address, so there the
    count is discounted, unless the accounts also share this proof's hardware profile or
    fingerprint: those linked accounts always count in full. The same discount applies to an
    address the data shows to be public (linkage.public_addresses: many accounts, each on its own
    device, on their own timing), whatever its network's name."""
    # the counts depend on the window alone: versions that differ in the thresholds share them
    accounts, group, use_prefix, linked, shared_by_design = frame.shared(
        ("ip.shared_accounts", p["window_hours"]), lambda: _address_counts(frame, p["window_hours"] * HOUR))
    kind = frame.network
    public = public_addresses(frame)
    factor = np.where(kind == "carrier", p["carrier_factor"], np.where(
        shared_by_design, p["hosting_factor"], np.where(public, p["public_factor"], 1.0)))
    low, high = p["min_accounts"], p["full_accounts"]
    score = np.maximum(ramp(accounts, low - 1, high) * factor, ramp(linked, low - 1, high))

    def explain(rows: np.ndarray) -> list[str]:
        names = examples(group, frame.worker_ids, rows)
        return [said("%(what)s used by %(accounts)s accounts within %(hours)s h (%(linked)s on this hardware or "
                     "fingerprint)%(carrier)s%(public)s: %(names)s",
                     what="/24" if use_prefix[r] else said("address"), accounts=accounts[r], hours=p["window_hours"],
                     linked=linked[r], names=n,
                     carrier=said(" on a mobile-carrier network (NAT)") if kind[r] == "carrier" else NOTHING,
                     public=said(" (a public address: own devices, own timing)") if public[r] else NOTHING)
                for r, n in zip(rows, names, strict=True)]

    return SignalResult(score, explain, {"ip_accounts_window": accounts, "ip_linked_accounts_window": linked})


@signal("ip.many_networks", title="One account on many networks", weight=0.4,
        params=(IntParam("window_days", 30, "period looked at", "d", minimum=1, maximum=365),
                IntParam("min_addresses", 3, "non-carrier addresses at which the score starts", minimum=1,
                         maximum=1000),
                IntParam("full_addresses", 7, "non-carrier addresses at which the score is full", minimum=2,
                         maximum=5000),
                IntParam("min_countries", 3, "countries at which the score starts", minimum=1, maximum=100),
                IntParam("full_countries", 6, "countries at which the score is full", minimum=2, maximum=200)),
        order=(("min_addresses", "full_addresses"), ("min_countries", "full_countries")))
def many_networks(frame: ProofFrame, p: dict) -> SignalResult:
    """Distinct non-carrier addresses (data centre, VPN, Tor, foreign home lines) and distinct
    countries of consumer networks one account used within the period. Mobile-carrier addresses
    change every few hours for everyone and are not counted, nor are data-centre countries; an
    honest VPN user keeps to a few exits, a proxy pool hands out a new one every time."""
    window, t = p["window_days"] * DAY, frame.submitted
    ip = np.where(np.isin(frame.network, NON_CARRIER), frame.codes("ip_hash"), -1)
    addresses = windowed_nunique(frame.worker, ip, t, window)
    country_codes = np.where(np.isin(frame.network, CONSUMER), factorize(frame.ip_country), -1)
    countries, group = windowed_groups(frame.worker, country_codes, t, window)
    score = np.maximum(ramp(addresses, p["min_addresses"] - 1, p["full_addresses"]),
                       ramp(countries, p["min_countries"] - 1, p["full_countries"]))

    def explain(rows: np.ndarray) -> list[str]:
        listed = examples(group, frame.ip_country, rows, limit=6)
        return [said("%(addresses)s data-centre / proxy / foreign addresses and %(countries)s home-network "
                     "countries within %(days)s d: %(listed)s", addresses=addresses[r], countries=countries[r],
                     days=p["window_days"], listed=c) for r, c in zip(rows, listed, strict=True)]

    return SignalResult(score, explain, {"worker_noncarrier_ips": addresses, "worker_ip_countries": countries})

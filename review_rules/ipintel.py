"""Offline IP intelligence: geoip2fast's shipped country + ASN data, and curated network lists.

`lookup` enriches one address at ingestion (the raw address is then only stored encrypted).
The rules never see addresses: they classify the stored network owner (`ip_asn_name`,
`ip_asn_cidr`) with the lists in review_rules/data/, and map time zones and regions to countries.
"""
from __future__ import annotations

import functools
import ipaddress
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from review_rules.groups import dense

DATA_DIR = Path(__file__).parent / "data"
# Strongest first: a Tor operator's data centre is Tor, a carrier's data centre is hosting.
NETWORK_KINDS = ("tor", "proxy", "hosting", "carrier", "isp", "unknown")
_PATTERN_FILES = {"tor": "asn_tor.txt", "proxy": "asn_proxy.txt", "hosting": "asn_hosting.txt",
                  "carrier": "asn_carrier.txt"}


@dataclass(frozen=True)
class IpInfo:
    country: str | None
    asn_name: str | None
    asn_cidr: str | None


@functools.lru_cache(maxsize=2)
def _reader(version: int):  # noqa: ANN202 - geoip2fast.GeoIP2Fast
    from geoip2fast import GeoIP2Fast

    data = "geoip2fast-asn-ipv6.dat.gz" if version == 6 else "geoip2fast-asn.dat.gz"
    return GeoIP2Fast(geoip2fast_data_file=data, verbose=False)


@functools.lru_cache(maxsize=200_000)
def lookup(ip: str) -> IpInfo:
    """Country code and network owner of an address; None fields when unknown or private."""
    version = 6 if ":" in ip else 4
    result = _reader(version).lookup(ip)
    country = result.country_code if result.country_code and result.country_code != "--" else None
    return IpInfo(country=country or None, asn_name=result.asn_name or None, asn_cidr=result.asn_cidr or None)


def data_lines(name: str) -> list[str]:
    """Non-empty, non-comment lines of a curated data file."""
    text = (DATA_DIR / name).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


@functools.lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern]:
    return {kind: re.compile("|".join(f"(?:{p})" for p in data_lines(file)), re.IGNORECASE)
            for kind, file in _PATTERN_FILES.items()}


@functools.lru_cache(maxsize=1)
def _tor_networks() -> tuple:
    return tuple(ipaddress.ip_network(line, strict=True) for line in data_lines("tor_exit_prefixes.txt"))


def _in_tor_prefix(cidr: str | None) -> bool:
    if not cidr:
        return False
    try:
        network = ipaddress.ip_network(cidr, strict=True)
    except ValueError:
        return False
    return any(network.version == tor.version and network.overlaps(tor) for tor in _tor_networks())


@functools.lru_cache(maxsize=50_000)
def network_kind(asn_name: str | None, asn_cidr: str | None) -> str:
    """tor, proxy, hosting, carrier (CGNAT-prone consumer access), isp, or unknown."""
    if _in_tor_prefix(asn_cidr):
        return "tor"
    if not asn_name:
        return "unknown"
    for kind, pattern in _patterns().items():
        if pattern.search(asn_name):
            return kind
    return "isp"


def network_kinds(asn_names: pd.Series, asn_cidrs: pd.Series) -> np.ndarray:
    """`network_kind` for every row, computed once per distinct (name, cidr) pair."""
    names, cidrs = asn_names.to_numpy(dtype=object), asn_cidrs.to_numpy(dtype=object)
    pair = dense(pd.factorize(names, use_na_sentinel=False)[0], pd.factorize(cidrs, use_na_sentinel=False)[0])
    _, first = np.unique(pair, return_index=True)
    kinds = [network_kind(_text(names[i]), _text(cidrs[i])) for i in first]
    return np.array(kinds, dtype=object)[pair]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@functools.lru_cache(maxsize=1)
def timezone_countries() -> dict[str, str]:
    """IANA zone name (and its backward-compatible aliases) -> ISO country, from tzdata's zone.tab."""
    base = resources.files("tzdata") / "zoneinfo"
    mapping: dict[str, str] = {}
    for line in (base / "zone.tab").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            parts = line.split("\t")
            mapping[parts[2]] = parts[0]
    for line in (base / "tzdata.zi").read_text(encoding="utf-8").splitlines():
        if line.startswith("L "):
            _, target, alias = line.split()
            if target in mapping:
                mapping.setdefault(alias, mapping[target])
    return mapping


def per_distinct(series: pd.Series, fn) -> np.ndarray:  # noqa: ANN001 - fn: value -> object
    """fn applied once per distinct non-null value, spread back to every row (None for nulls)."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    values = np.array([fn(u) for u in uniques] + [None], dtype=object)
    return values[codes]


def timezone_country(series: pd.Series) -> np.ndarray:
    """ISO country of each IANA time zone name; None when unknown or missing."""
    mapping = timezone_countries()
    return per_distinct(series, lambda tz: mapping.get(tz) if isinstance(tz, str) else None)


def _region_to_country(region: object) -> str | None:
    if not isinstance(region, str):
        return None
    head = region.split("-", 1)[0].strip().upper()
    return head if re.fullmatch(r"[A-Z]{2}", head) else None


def region_country(series: pd.Series) -> np.ndarray:
    """ISO country of an ISO 3166-2 region code ("CN-GD" -> "CN", "HK" -> "HK")."""
    return per_distinct(series, _region_to_country)

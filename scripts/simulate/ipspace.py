"""Real IPv4 prefixes the generator samples from, grouped by who operates them.

Every prefix was checked /24 by /24 against geoip2fast's offline ASN data
(`tests/simulate/test_simulate_ipspace.py` re-checks a sample): the country
and the ASN name it reports match the row. Kinds:

- ``cn_carrier``: Chinese carriers (mobile data behind CGNAT and home broadband);
- ``cn_cloud``: Chinese cloud data centres (Alibaba, Tencent, Huawei);
- ``hosting``: foreign clouds and VPS providers (VPN exits, proxies, bots);
- ``tor``: Tor exit operators;
- ``foreign_isp``: consumer ISPs abroad (students abroad, residential VPN exits).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Prefix:
    """One announced prefix and what geoip2fast must say about it."""

    cidr: str
    kind: str
    operator: str
    country: str | None  # None: the operator's addresses are geolocated to several countries
    asn_pattern: str  # case-insensitive regular expression matched against asn_name


def _rows(kind: str, operator: str, country: str | None, pattern: str, cidrs: str) -> list[Prefix]:
    return [Prefix(c, kind, operator, country, pattern) for c in cidrs.split()]


PREFIXES: tuple[Prefix, ...] = tuple(
    _rows("cn_carrier", "China Mobile", "CN", "mobile",
          "223.104.0.0/15 117.136.0.0/13 39.128.0.0/10 183.192.0.0/10 36.128.0.0/10")
    + _rows("cn_carrier", "China Unicom", "CN", "unicom",
            "112.224.0.0/11 123.112.0.0/12 221.192.0.0/14 113.200.0.0/15 125.32.0.0/12 58.240.0.0/12")
    + _rows("cn_carrier", "China Telecom", "CN", "telecom|chinanet",
            "114.80.0.0/12 183.0.0.0/10 113.64.0.0/11 116.224.0.0/12")
    + _rows("cn_edu", "CERNET", "CN", "education|cernet", "166.111.0.0/16 59.64.0.0/12")
    + _rows("cn_cloud", "Alibaba Cloud", "CN", "alibaba",
            "47.96.0.0/12 47.100.0.0/14 120.76.0.0/14 106.14.0.0/15 101.132.0.0/15")
    + _rows("cn_cloud", "Tencent Cloud", "CN", "tencent", "81.68.0.0/14 129.204.0.0/16 49.232.0.0/14")
    + _rows("cn_cloud", "Huawei Cloud", "CN", "huawei", "124.70.0.0/16 121.36.0.0/16")
    + _rows("hosting", "Tencent Cloud Intl", None, "tencent", "119.28.0.0/16")
    + _rows("hosting", "AWS US", "US", "amazon", "3.5.0.0/19 52.0.0.0/15")
    + _rows("hosting", "AWS Tokyo", "JP", "amazon", "54.64.0.0/15 13.112.0.0/14")
    + _rows("hosting", "AWS Singapore", "SG", "amazon", "18.136.0.0/16")
    + _rows("hosting", "DigitalOcean", None, "digitalocean", "167.99.0.0/16 128.199.0.0/16")
    + _rows("hosting", "OVH", None, "ovh", "51.68.0.0/16 54.36.0.0/16")
    + _rows("hosting", "Hetzner", None, "hetzner", "88.198.0.0/16 116.202.0.0/16 95.216.0.0/16")
    + _rows("hosting", "Vultr", None, "choopa", "45.76.0.0/16 45.77.0.0/16")
    + _rows("hosting", "Linode", None, "akamai", "139.162.0.0/16")
    + _rows("hosting", "Google Cloud", None, "google", "34.80.0.0/15 35.185.0.0/16")
    + _rows("tor", "Tor exit", None, "stiftung erneuerbare|f3 netze|digitala|quintex",
            "185.220.101.0/24 185.220.102.0/24 185.220.100.0/24 171.25.193.0/24 204.8.96.0/24")
    + _rows("foreign_isp", "NTT", "JP", "ntt", "153.128.0.0/10")
    + _rows("foreign_isp", "KDDI", "JP", "kddi", "106.128.0.0/10")
    + _rows("foreign_isp", "SoftBank", "JP", "softbank", "60.64.0.0/12")
    + _rows("foreign_isp", "StarHub", "SG", "starhub", "116.86.0.0/15")
    + _rows("foreign_isp", "Singtel", "SG", "singtel|singnet", "220.255.0.0/16")
    + _rows("foreign_isp", "Comcast", "US", "comcast", "73.0.0.0/8 24.0.0.0/12")
    + _rows("foreign_isp", "HiNet", "TW", "data communication", "36.224.0.0/12 114.24.0.0/14")
    + _rows("foreign_isp", "HKT", "HK", "hkt", "112.118.0.0/16 42.2.0.0/15 218.102.0.0/16")
)

KINDS = ("cn_carrier", "cn_edu", "cn_cloud", "hosting", "tor", "foreign_isp")


class IpSpace:
    """Vectorised sampling of host addresses from groups of prefixes."""

    def __init__(self, prefixes: tuple[Prefix, ...] = PREFIXES) -> None:
        self.prefixes = prefixes
        nets = [ipaddress.IPv4Network(p.cidr) for p in prefixes]
        self._base = np.array([int(n.network_address) for n in nets], dtype=np.int64)
        self._blocks = np.array([n.num_addresses // 256 for n in nets], dtype=np.int64)

    def select(self, kind: str | None = None, operator: str | None = None,
               country: str | None = None) -> np.ndarray:
        """Indices of the prefixes matching every given filter."""
        idx = [i for i, p in enumerate(self.prefixes)
               if (kind is None or p.kind == kind)
               and (operator is None or p.operator == operator)
               and (country is None or p.country == country)]
        if not idx:
            raise LookupError(f"no prefix for kind={kind} operator={operator} country={country}")
        return np.array(idx, dtype=np.int64)

    def sample(self, rng: np.random.Generator, n: int, kind: str | None = None,
               operator: str | None = None, country: str | None = None) -> np.ndarray:
        """n host addresses (int64), prefixes weighted by the square root of their size."""
        idx = self.select(kind, operator, country)
        weights = np.sqrt(self._blocks[idx].astype(float))
        chosen = idx[rng.choice(len(idx), size=n, p=weights / weights.sum())]
        block = rng.integers(0, self._blocks[chosen])
        host = rng.integers(1, 255, size=n)
        return self._base[chosen] + block * 256 + host

    def subnet_hosts(self, rng: np.random.Generator, n: int, subnet: int) -> np.ndarray:
        """n addresses inside the /24 of `subnet` (a rented IDC segment, a proxy range)."""
        return (subnet & ~0xFF) + rng.integers(1, 255, size=n)


def format_ips(ips: np.ndarray) -> list[str]:
    """Dotted-quad strings for an array of IPv4 addresses held as integers."""
    return [f"{a >> 24}.{(a >> 16) & 255}.{(a >> 8) & 255}.{a & 255}" for a in np.asarray(ips).tolist()]

"""Every prefix the generator samples from is what geoip2fast's offline data says it is."""

from __future__ import annotations

import ipaddress
import re

import numpy as np
import pytest

from scripts.simulate.ipspace import KINDS, PREFIXES, IpSpace, format_ips

from .conftest import read

geoip2fast = pytest.importorskip("geoip2fast")


@pytest.fixture(scope="module")
def geo():
    return geoip2fast.GeoIP2Fast(geoip2fast_data_file="geoip2fast-asn.dat.gz", verbose=False)


def _hosts(cidr: str, rng: np.random.Generator) -> list[str]:
    """The first and last host, one address in up to 256 evenly spread /24s, 32 random hosts."""
    net = ipaddress.IPv4Network(cidr)
    base, blocks = int(net.network_address), net.num_addresses // 256
    picks = {1, net.num_addresses - 2}
    picks.update(int(b) * 256 + 77 for b in np.linspace(0, blocks - 1, min(blocks, 256)))
    picks.update(int(b) * 256 + int(h) for b, h in zip(rng.integers(0, blocks, 32), rng.integers(1, 255, 32),
                                                        strict=True))
    return [str(ipaddress.IPv4Address(base + p)) for p in sorted(picks)]


@pytest.mark.parametrize("prefix", PREFIXES, ids=lambda p: f"{p.kind}:{p.cidr}")
def test_prefix_resolves_to_its_operator(prefix, geo):
    rng = np.random.default_rng(0)
    for ip in _hosts(prefix.cidr, rng):
        found = geo.lookup(ip)
        assert re.search(prefix.asn_pattern, found.asn_name, re.I), (ip, prefix, found.asn_name)
        if prefix.country:
            assert found.country_code == prefix.country, (ip, prefix, found.country_code)
        if prefix.kind == "cn_carrier":
            assert found.country_code == "CN"


def test_every_kind_has_prefixes():
    assert {p.kind for p in PREFIXES} == set(KINDS)


def test_sampled_addresses_stay_inside_their_prefixes():
    space = IpSpace()
    rng = np.random.default_rng(1)
    nets = [ipaddress.IPv4Network(p.cidr) for p in PREFIXES if p.kind == "tor"]
    for ip in format_ips(space.sample(rng, 500, kind="tor")):
        addr = ipaddress.IPv4Address(ip)
        assert any(addr in n for n in nets) and not ip.endswith((".0", ".255"))


def test_every_proof_ip_is_public_and_known(small_world, geo):
    directory, _ = small_world
    for ip in {p["ip"] for p in read(directory, "proofs")}:
        found = geo.lookup(ip)
        assert not found.is_private and found.country_code and found.asn_name, (ip, found)

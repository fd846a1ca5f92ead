"""Links between accounts: shared devices / hardware / addresses (rings) and acting together (lockstep).

Rings are connected components of a bipartite graph of accounts and the things they share:
a fingerprint, a phone number, identical hardware on the same /24 in the same period, or a home
address used on several days. Gateways (carrier NAT and VPN exits, used once by many strangers)
are not links. Lockstep pairs follow SynchroTrap: two accounts that act on the same campaign in
the same few minutes, campaign after campaign.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from review_rules.coactivity import PairLedger
from review_rules.frame import DAY, ProofFrame, to_seconds
from review_rules.groups import bucket, dense, later_pairs, nunique_by
from review_rules.rows import RowCache

SHARED_BY_DESIGN = ("hosting", "proxy", "tor")
# A public address (campus, office, café) as the data shows it; see public_addresses.
PUBLIC_MIN_ACCOUNTS = 8
PUBLIC_MIN_DISTINCT = 0.8
PUBLIC_MAX_PEAK = 0.34
PUBLIC_PEAK_SECONDS = 3600.0


def public_addresses(frame: ProofFrame, min_accounts: int = PUBLIC_MIN_ACCOUNTS,
                     min_distinct: float = PUBLIC_MIN_DISTINCT, max_peak: float = PUBLIC_MAX_PEAK,
                     peak_seconds: float = PUBLIC_PEAK_SECONDS) -> np.ndarray:
    """Per row: its (home or office, not carrier or data-centre) address behaves like a public one,
    recognised from the data rather than the network's name: at least `min_accounts` accounts on
    it, each on its own device (distinct fingerprints and hardware profiles for at least
    `min_distinct` of the accounts), and independent timing (at most `max_peak` of them on one
    campaign in any `peak_seconds`). A farm behind one line fails on devices or on timing: it runs
    its accounts from few phones, on the same campaigns together."""
    def build() -> np.ndarray:
        ip = frame.codes("ip_hash")
        ip = np.where((ip >= 0) & ~np.isin(frame.network, (*SHARED_BY_DESIGN, "carrier")), ip, -1)
        if not (ip >= 0).any():
            return np.zeros(frame.n, dtype=bool)
        accounts = nunique_by(ip, frame.worker)
        devices = np.minimum(nunique_by(ip, frame.codes("device_fp_hash")), nunique_by(ip, frame.hardware))
        # a campus's lunch hour is busy, but not on one campaign: a farm works a campaign together
        together = nunique_by(dense(ip, frame.codes("campaign_id"), bucket(frame.submitted, peak_seconds)),
                              frame.worker)
        peak = np.zeros(int(ip.max()) + 1)
        used = ip >= 0
        np.maximum.at(peak, ip[used], together[used])
        peak_row = np.where(used, peak[np.maximum(ip, 0)], 0)
        return used & (accounts >= min_accounts) & (devices >= min_distinct * accounts) & \
            (peak_row <= max_peak * accounts)

    return frame.shared(("public_addresses", min_accounts, min_distinct, max_peak, peak_seconds), build)


def _workers(frame: ProofFrame) -> int:
    return int(frame.worker.max(initial=-1)) + 1


def components(sources: np.ndarray, targets: np.ndarray, n: int) -> np.ndarray:
    """Connected component label of nodes 0..n-1 given undirected edges."""
    graph = coo_matrix((np.ones(len(sources)), (sources, targets)), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def link_nodes(frame: ProofFrame, hardware_hours: float, ip_min_days: int, gateway_accounts: int,
               carrier_gateway_accounts: int) -> list[np.ndarray]:
    """Per row, the shared thing each link kind points at (-1 where the row adds no link).

    An address links accounts that each used it on `ip_min_days` days, unless it is a gateway:
    a data centre / VPN exit, an address with more accounts than a household has (carrier
    NAT hands one address to strangers, day after day), or a public address (public_addresses).
    """
    prefix, ip = frame.codes("ip_prefix_hash"), frame.codes("ip_hash")
    hardware = dense(frame.hardware, prefix, bucket(frame.submitted, hardware_hours * 3600.0))
    days = nunique_by(dense(frame.worker, ip), frame.day())
    accounts = nunique_by(ip, frame.worker)
    limit = np.where(frame.network == "carrier", carrier_gateway_accounts, gateway_accounts)
    home = ~np.isin(frame.network, SHARED_BY_DESIGN) & (ip >= 0) & ~public_addresses(frame)
    address = np.where(home & (days >= ip_min_days) & (accounts >= 2) & (accounts <= limit), ip, -1)
    return [frame.codes("device_fp_hash"), frame.codes("worker_phone_hash"), hardware, address]


def ring_labels(frame: ProofFrame, hardware_hours: float, ip_min_days: int, gateway_accounts: int,
                carrier_gateway_accounts: int) -> np.ndarray:
    """Ring (component) id of each row's account; accounts with no links are rings of one."""
    n_workers = _workers(frame)
    sources, targets = [], []
    offset = n_workers
    for node in link_nodes(frame, hardware_hours, ip_min_days, gateway_accounts, carrier_gateway_accounts):
        used = (node >= 0) & (frame.worker >= 0)
        sources.append(frame.worker[used])
        targets.append(node[used] + offset)
        offset += int(node.max(initial=-1)) + 1
    labels = components(np.concatenate(sources), np.concatenate(targets), offset)[:n_workers]
    return np.where(frame.worker >= 0, labels[np.maximum(frame.worker, 0)] if n_workers else -1, -1)


def activity_time(frame: ProofFrame) -> np.ndarray:
    return np.where(np.isnan(frame.accepted), frame.submitted, frame.accepted)


def co_activity(frame: ProofFrame, window_seconds: float, max_group: int, min_shared: int = 1) -> pd.DataFrame:
    """Pairs of accounts (a < b, worker codes) with the number of campaigns they acted on within
    the same `window_seconds` (two offset grids); crowds larger than `max_group` are skipped.
    Only pairs sharing at least `min_shared` campaigns are certain to be listed, in no particular
    order (crowd_pairs)."""
    def crowds(campaign: np.ndarray, t: np.ndarray, created: np.ndarray) -> list[np.ndarray]:
        return [dense(campaign, bucket(t, window_seconds, offset)) for offset in (0.0, window_seconds / 2)]
    return crowd_pairs(frame, ("co_activity", window_seconds, max_group), crowds, max_group, min_shared)


Crowds = Callable[[np.ndarray, np.ndarray, np.ndarray], list[np.ndarray]]  # (campaign, activity, created) -> crowds


def crowd_pairs(frame: ProofFrame, key: tuple, crowds: Crowds, max_group: int, min_shared: int = 1) -> pd.DataFrame:
    """pair_counts over the crowds `crowds` draws from each row's campaign code, activity time and
    account creation time. On a backtest chunk that is a prefix of the whole history, the pairs come
    from a ledger kept across chunks under `key` (review_rules.coactivity): the pairs sharing at least
    `min_shared` campaigns and their counts, in another order."""
    if frame.rows is not None and frame.rows.is_prefix:
        ledger = frame.rows.cache.values(("pair_ledger", *key), lambda _: _ledger(frame.rows.cache, crowds, max_group))
        ledger.advance(frame.n)
        a, b, shared = ledger.table(min_shared)
        return pd.DataFrame({"a": a, "b": b, "shared": shared})
    return pair_counts(frame, crowds(frame.codes("campaign_id"), activity_time(frame), frame.worker_created),
                       max_group, min_shared)


def _ledger(cache: RowCache, crowds: Crowds, max_group: int) -> PairLedger:
    """The pair ledger of the whole frame of a row cache (codes as its prefixes number them)."""
    worker, campaign = (np.where(blank[codes], -1, codes) for codes, blank in
                        (cache.raw_codes("worker_id"), cache.raw_codes("campaign_id")))
    accepted, submitted = to_seconds(cache.proofs["accepted_at"]), to_seconds(cache.proofs["submitted_at"])
    t = np.where(np.isnan(accepted), submitted, accepted)
    return PairLedger(crowds(campaign, t, to_seconds(cache.proofs["worker_created_at"])), worker, campaign, max_group)


def pair_counts(frame: ProofFrame, groups: list[np.ndarray], max_group: int, min_shared: int = 1) -> pd.DataFrame:
    """Worker pairs (a < b) sharing any of the given groups, with the distinct campaigns they share.

    With `min_shared` > 1, accounts that meet fewer than `min_shared` distinct campaigns in all the
    groups they are paired in are left out before pairing: none of their pairs can share that many,
    and pairing is the cost (a crowd of k accounts makes k(k-1)/2 pairs). The pairs that can reach
    `min_shared` come out as without it, in the same order; the rest may be missing."""
    campaign = frame.codes("campaign_id")
    members = [_members_of_groups(group, frame.worker, campaign, max_group) for group in groups]
    if min_shared > 1 and members:
        worker = np.concatenate([m[1] for m in members])
        enough = nunique_by(worker, np.concatenate([m[2] for m in members])) >= min_shared
        paired = np.zeros(_workers(frame), dtype=bool)
        paired[worker[enough]] = True
        members = [(g[paired[w]], w[paired[w]], c[paired[w]]) for g, w, c in members]
    parts = [(w[left], w[right], c[left]) for g, w, c in members for left, right in [later_pairs(g)]]
    if not parts:
        return pd.DataFrame({"a": np.zeros(0, np.int64), "b": np.zeros(0, np.int64), "shared": np.zeros(0, np.int64)})
    left = np.concatenate([p[0] for p in parts])
    right = np.concatenate([p[1] for p in parts])
    camp = np.concatenate([p[2] for p in parts])
    n_workers, n_campaigns = _workers(frame), int(campaign.max(initial=0)) + 1
    triples = pd.unique((np.minimum(left, right) * n_workers + np.maximum(left, right)) * n_campaigns + camp)
    codes, pairs = pd.factorize(triples // n_campaigns)
    shared = np.bincount(codes)
    return pd.DataFrame({"a": pairs // n_workers, "b": pairs % n_workers, "shared": shared})


def _members_of_groups(group: np.ndarray, worker: np.ndarray, campaign: np.ndarray,
                       max_group: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(group, worker, campaign) once per (group, worker), sorted by group, of the groups of 2 to
    `max_group` rows so kept."""
    key = dense(group, worker)
    rows = np.flatnonzero(key >= 0)
    rows = rows[np.unique(key[rows], return_index=True)[1]]  # one row per (group, worker)
    order = rows[np.argsort(group[rows], kind="stable")]
    g, w, c = group[order], worker[order], campaign[order]
    size = np.bincount(g)[g] if len(g) else g
    keep = (size >= 2) & (size <= max_group)
    return g[keep], w[keep], c[keep]


def worker_campaigns(frame: ProofFrame) -> np.ndarray:
    """Distinct campaigns per worker code."""
    n_workers = _workers(frame)
    per_row = nunique_by(frame.worker, frame.codes("campaign_id"))
    out = np.zeros(n_workers, dtype=np.int64)
    valid = frame.worker >= 0
    out[frame.worker[valid]] = per_row[valid]
    return out


def created_gap_days(frame: ProofFrame, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Days between the account creation times of worker codes a and b (NaN when unknown)."""
    created = np.full(_workers(frame), np.nan)
    valid = frame.worker >= 0
    created[frame.worker[valid]] = frame.worker_created[valid]
    return np.abs(created[a] - created[b]) / DAY

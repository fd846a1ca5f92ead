"""Brand collusion: a linked group of accounts whose work is concentrated on one brand.

Honest people share addresses (carrier NAT, families, campuses), so a link alone says little. What
marks a studio working for a brand is concentration: the accounts linked to each other within the
brand's completions do most of *their* work for that brand, where honest people linked by chance
(the same carrier address on the same day) spread their work over the market.

For each brand, accounts are linked by what they share within that brand's completions: an address
on the same day (carrier NAT included: the studio's lines are carrier lines), a device fingerprint,
or a ring of the global linkage (devices, phones, hardware, home addresses). Each connected group
gets
- brand_proofs: its completions for the brand;
- all_proofs: its accounts' completions for every brand;
- concentration = brand_proofs / all_proofs;
- weight = brand_proofs * concentration: a group's completions for the brand, discounted by how much
  of their work goes elsewhere. A studio keeps almost all of its weight; twenty strangers on one
  carrier address keep what the brand's share of their work is.
Pure numpy: codes in, frames out.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from review_rules.groups import dense
from review_rules.linkage import components


def brand_groups(brand: np.ndarray, worker: np.ndarray, links: list[np.ndarray],
                 min_accounts: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per row: brand, worker codes, and link codes (-1 = no link). Returns
    (groups: brand, group, accounts, brand_proofs, all_proofs, concentration, weight — one row per
    group of >= min_accounts accounts), (members: brand, group, worker)."""
    brand, worker = np.asarray(brand, np.int64), np.asarray(worker, np.int64)
    valid = (brand >= 0) & (worker >= 0)
    brand, worker, links = brand[valid], worker[valid], [np.asarray(k, np.int64)[valid] for k in links]
    pair = dense(brand, worker)
    n_pairs = int(pair.max(initial=-1)) + 1
    if n_pairs == 0:
        return _empty_groups(), pd.DataFrame({"brand": [], "group": [], "worker": []}, dtype=np.int64)
    pair_brand = np.zeros(n_pairs, np.int64)
    pair_worker = np.zeros(n_pairs, np.int64)
    pair_brand[pair], pair_worker[pair] = brand, worker
    sources, targets, offset = [], [], n_pairs
    for link in links:
        node = dense(brand, link)  # a thing shared within one brand's completions only
        used = node >= 0
        sources.append(pair[used])
        targets.append(node[used] + offset)
        offset += int(node.max(initial=-1)) + 1
    group = components(np.concatenate([np.zeros(0, np.int64), *sources]),
                       np.concatenate([np.zeros(0, np.int64), *targets]), offset)[:n_pairs]

    per_pair = np.bincount(pair, minlength=n_pairs).astype(float)
    per_worker = np.bincount(worker).astype(float)
    accounts = np.bincount(group)
    brand_proofs = np.bincount(group, weights=per_pair)
    all_proofs = np.bincount(group, weights=per_worker[pair_worker])
    group_brand = np.zeros(len(accounts), np.int64)
    group_brand[group] = pair_brand
    keep = np.flatnonzero(accounts >= min_accounts)
    concentration = brand_proofs[keep] / np.maximum(all_proofs[keep], 1.0)
    groups = pd.DataFrame({"brand": group_brand[keep], "group": keep, "accounts": accounts[keep],
                           "brand_proofs": brand_proofs[keep].astype(np.int64),
                           "all_proofs": all_proofs[keep].astype(np.int64), "concentration": concentration,
                           "weight": brand_proofs[keep] * concentration})
    members = pd.DataFrame({"brand": pair_brand, "group": group, "worker": pair_worker})
    return groups, members[np.isin(group, keep)]


def top_groups(groups: pd.DataFrame) -> pd.DataFrame:
    """Each brand's group of the highest weight (ties: the lower group code)."""
    if groups.empty:
        return groups
    ordered = groups.sort_values(["brand", "weight", "group"], ascending=[True, False, True])
    return ordered.drop_duplicates("brand").reset_index(drop=True)


def _empty_groups() -> pd.DataFrame:
    return pd.DataFrame({"brand": np.zeros(0, np.int64), "group": np.zeros(0, np.int64),
                         "accounts": np.zeros(0, np.int64), "brand_proofs": np.zeros(0, np.int64),
                         "all_proofs": np.zeros(0, np.int64), "concentration": np.zeros(0),
                         "weight": np.zeros(0)})

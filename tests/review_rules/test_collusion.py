"""Brand groups: linked accounts weighted by how much of their work goes to the brand."""
from __future__ import annotations

import numpy as np
import pytest

from review_rules.collusion import brand_groups, top_groups

NONE = -1


def test_a_group_working_for_one_brand_keeps_its_weight_and_strangers_keep_the_brands_share():
    # brand 0: workers 0-2 share address 7 (a studio), each 4 proofs there and 1 at brand 1
    # brand 1: workers 3-5 share address 9 once each (strangers), each 1 proof there and 3 at brand 2
    brand, worker, address = [], [], []
    for w in range(3):
        brand += [0] * 4 + [1]
        worker += [w] * 5
        address += [7] * 4 + [NONE]
    for w in range(3, 6):
        brand += [1, 2, 2, 2]
        worker += [w] * 4
        address += [9, NONE, NONE, NONE]
    groups, members = brand_groups(np.array(brand), np.array(worker), [np.array(address)], min_accounts=3)
    top = top_groups(groups).set_index("brand")
    assert top.loc[0, "accounts"] == 3 and top.loc[0, "brand_proofs"] == 12
    assert top.loc[0, "concentration"] == pytest.approx(12 / 15) and top.loc[0, "weight"] == pytest.approx(12 * 0.8)
    assert top.loc[1, "brand_proofs"] == 3 and top.loc[1, "concentration"] == pytest.approx(3 / 12)
    assert 2 not in top.index  # nobody linked at brand 2
    assert sorted(members[members["brand"] == 0]["worker"]) == [0, 1, 2]


def test_links_do_not_cross_brands():
    # workers 0-2 share address 5, but each at a different brand: no group of three anywhere
    groups, _members = brand_groups(np.array([0, 1, 2]), np.array([0, 1, 2]), [np.array([5, 5, 5])],
                                    min_accounts=2)
    assert groups.empty


def test_no_rows_no_groups():
    groups, members = brand_groups(np.zeros(0, int), np.zeros(0, int), [np.zeros(0, int)], min_accounts=3)
    assert groups.empty and members.empty and top_groups(groups).empty

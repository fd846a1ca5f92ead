"""Graph signals: rings of linked accounts, brand concentration, lockstep co-activity."""
from __future__ import annotations

import numpy as np
import pandas as pd

from tests.review_rules.frames import T0, proof, run, scores

DAY = pd.Timedelta(days=1)


def _chain(n: int) -> list[dict]:
    """Accounts linked pairwise by shared fingerprints: w0-w1 share fp0, w1-w2 share fp1, ..."""
    rows = []
    for i in range(n):
        rows.append(proof(2 * i, worker_id=f"w{i}", device_fp_hash=f"fp{i}"))
        rows.append(proof(2 * i + 1, worker_id=f"w{i}", device_fp_hash=f"fp{i + 1}"))
    return rows


def test_ring_through_chained_fingerprints() -> None:
    output = run(_chain(8))
    assert output.scores["graph.ring"].min() > 0.5
    assert output.features["ring_accounts"].max() == 8
    assert "ring of 8 accounts" in output.reasons["p0"][0]["reason"] or any(
        "ring of 8" in r["reason"] for r in output.reasons["p0"])


def test_strangers_behind_one_carrier_address_are_not_a_ring() -> None:
    rows = [proof(10 * i + d, worker_id=f"w{i}", ip_hash="cgnat", at=T0 + d * DAY) for i in range(10) for d in range(3)]
    assert scores(rows, "graph.ring").max() == 0.0


def test_home_address_used_on_several_days_links_a_family() -> None:
    rows = [proof(10 * i + d, worker_id=f"w{i}", ip_hash="home", ip_asn_name="Chinanet", at=T0 + d * DAY)
            for i in range(4) for d in range(2)]
    output = run(rows)
    assert output.features["ring_accounts"].max() == 4


def test_brand_fed_by_one_ring() -> None:
    ring = [proof(i, worker_id=f"w{i % 6}", device_fp_hash="studio-phone", brand_id="b_ring",
                  campaign_id=f"c{i % 3}", at=T0 + pd.Timedelta(hours=i)) for i in range(24)]
    honest = [proof(100 + i, brand_id="b_ok", campaign_id=f"k{i % 3}", at=T0 + pd.Timedelta(hours=i))
              for i in range(24)]
    result = scores(ring + honest, "graph.brand_concentration")
    assert result[[f"p{i}" for i in range(24)]].min() > 0.0
    assert result[[f"p{100 + i}" for i in range(24)]].max() == 0.0


def _lockstep(accounts: int, campaigns: int, spread_minutes: float, seed: int, first: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for c in range(campaigns):
        start = T0 + c * pd.Timedelta(hours=9)
        for a in range(accounts):
            rows.append(proof(first + 1000 * c + a, worker_id=f"w{first + a}", campaign_id=f"c{c}",
                              at=start + pd.Timedelta(minutes=float(rng.uniform(0, spread_minutes)))))
    return rows


def test_accounts_moving_together_campaign_after_campaign() -> None:
    result = scores(_lockstep(8, 4, 2, seed=1, first=0), "graph.lockstep")
    assert result.min() == 1.0


def test_accounts_on_the_same_campaigns_hours_apart_are_not_lockstep() -> None:
    result = scores(_lockstep(8, 4, 600, seed=2, first=0), "graph.lockstep")
    assert result.max() == 0.0

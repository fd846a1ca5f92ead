"""Coordination without labels: dormant aged accounts waking together, against honest look-alikes."""
from __future__ import annotations

import pandas as pd
import pytest

from tests.review_rules.frames import T0, proof, scores

CODE = "graph.dormant_wake"


def _world(accounts: int, *, created_days_ago: float, last_seen_days_ago: float | None, spread_minutes: float,
           campaigns: int = 3) -> list[dict]:
    """`accounts` accounts that each did one old proof (if last_seen), then the same campaigns near T0."""
    rows, i = [], 0
    for a in range(accounts):
        created = T0 - pd.Timedelta(days=created_days_ago)
        if last_seen_days_ago is not None:
            rows.append(proof(i, worker_id=f"w{a}", campaign_id="c-old", worker_created_at=created,
                              at=T0 - pd.Timedelta(days=last_seen_days_ago, minutes=13 * a)))
            i += 1
        for c in range(campaigns):
            rows.append(proof(i, worker_id=f"w{a}", campaign_id=f"c{c}", worker_created_at=created,
                              at=T0 + pd.Timedelta(hours=5 * c, minutes=spread_minutes * a)))
            i += 1
    return rows


def _woken(rows: list[dict]) -> pd.Series:
    result = scores(rows, CODE)
    return result[~result.index.isin([r["proof_id"] for r in rows if r["campaign_id"] == "c-old"])]


def test_dormant_aged_accounts_waking_together_on_the_same_campaigns():
    woken = _woken(_world(6, created_days_ago=300, last_seen_days_ago=45, spread_minutes=2))
    assert woken.min() == 1.0


def test_a_promotions_new_accounts_are_not_dormant():
    assert _woken(_world(6, created_days_ago=2, last_seen_days_ago=None, spread_minutes=2)).max() == 0.0


def test_returners_on_their_own_timing_are_not_waking_together():
    assert _woken(_world(6, created_days_ago=300, last_seen_days_ago=45, spread_minutes=150)).max() == 0.0


def test_accounts_active_all_along_are_not_waking():
    assert _woken(_world(6, created_days_ago=300, last_seen_days_ago=3, spread_minutes=2)).max() == 0.0


def _promotion(accounts: int, spread_minutes: float) -> list[dict]:
    """A sign-up cohort: created the same morning, the promoted campaign first, then three others."""
    rows, i = [], 0
    for a in range(accounts):
        created = T0 - pd.Timedelta(hours=12) + pd.Timedelta(minutes=9 * a)
        for c in range(4):
            rows.append(proof(i, worker_id=f"w{a}", campaign_id=f"c{c}", worker_created_at=created,
                              at=T0 + pd.Timedelta(hours=6 * c, minutes=spread_minutes * a)))
            i += 1
    return rows


@pytest.mark.parametrize("code", ["account.created_together", "graph.lockstep", CODE])
def test_a_promotions_cohort_on_its_own_timing_trips_no_coordination_signal(code):
    assert scores(_promotion(20, spread_minutes=67), code).max() == 0.0


@pytest.mark.parametrize("code", ["account.created_together", "graph.lockstep"])
def test_the_same_cohort_moving_minute_by_minute_is_caught(code):
    assert scores(_promotion(20, spread_minutes=0.5), code).min() > 0.0

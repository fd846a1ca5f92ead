"""Honest groups built to trip signals, and fraud built to hide every per-proof trait."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import numpy as np
import pytest

from tests.simulate.conftest import read


def t(s: str) -> float:
    return datetime.fromisoformat(s).timestamp()


@pytest.fixture(scope="module")
def world(small_world):  # noqa: ANN001, ANN201
    directory, _ = small_world
    labels = {x["proof_id"]: x for x in read(directory, "labels")}
    proofs = read(directory, "proofs")
    workers = {w["id"]: w for w in read(directory, "workers")}
    by_kind = defaultdict(list)
    for p in proofs:
        by_kind[labels[p["id"]]["kind"]].append(p)
    return by_kind, workers


def test_a_campus_is_many_accounts_on_their_own_phones_behind_one_address(world):
    by_kind, _ = world
    campus = by_kind["honest_campus"]
    per_ip = defaultdict(set)
    devices = defaultdict(set)
    for p in campus:
        per_ip[p["ip"]].add(p["worker_id"])
        devices[p["ip"]].add(p.get("device", {}).get("fingerprint"))
    biggest = max(per_ip, key=lambda ip: len(per_ip[ip]))
    assert len(per_ip[biggest]) >= 10 and len(devices[biggest]) >= 0.8 * len(per_ip[biggest])
    assert biggest.startswith(("166.111.", "59."))  # an education network, not a carrier


def test_a_promotion_cohort_registers_together_but_acts_on_its_own_time(world):
    by_kind, workers = world
    promo = by_kind["honest_promo"]
    created = sorted({t(workers[p["worker_id"]]["created_at"]) for p in promo})
    assert len(created) >= 10 and created[-1] - created[0] <= 86_400
    first = defaultdict(lambda: float("inf"))
    for p in promo:
        first[p["worker_id"]] = min(first[p["worker_id"]], t(p["accepted_at"]))
    gaps = np.diff(sorted(first.values()))
    assert np.median(gaps) > 300  # not minute by minute


def test_dormant_accounts_are_old_quiet_and_wake_together(world):
    by_kind, workers = world
    woken = by_kind["wake_tight"] + by_kind["wake_loose"]
    assert woken
    for p in woken:
        age_days = (t(p["accepted_at"]) - t(workers[p["worker_id"]]["created_at"])) / 86_400
        assert age_days >= 90 and not p["device"].get("webdriver") and not p["device"].get("emulator")
    starts = [t(p["accepted_at"]) for p in woken]
    assert max(starts) - min(starts) <= 4 * 86_400 * 2  # every ring wakes within days, not across the period


def test_carrier_bots_keep_a_rhythm_on_clean_phones(world):
    by_kind, _ = world
    bots = by_kind["bot_fixed"]
    per_worker = defaultdict(list)
    for p in bots:
        assert not p["device"].get("webdriver")
        per_worker[p["worker_id"]].append(t(p["accepted_at"]))
    regular = 0
    for times in per_worker.values():
        gaps = np.diff(sorted(times))
        gaps = gaps[gaps < 3600]
        if len(gaps) >= 6 and gaps.std() / gaps.mean() < 0.1:
            regular += 1
    assert regular >= 1

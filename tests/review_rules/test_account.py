"""Account signals: age, decayed reputation (as of each proof), pace, accounts born together."""
from __future__ import annotations

import pandas as pd
import pytest

from tests.review_rules.frames import T0, proof, run, scores, with_params

DAY = pd.Timedelta(days=1)


@pytest.mark.parametrize(("age", "expected"), [
    (pd.Timedelta(hours=2), 1.0), (4 * DAY, 0.5), (30 * DAY, 0.0), (-DAY, 1.0)])
def test_new_account(age: pd.Timedelta, expected: float) -> None:
    row = proof(1, at=T0, worker_created_at=T0 + pd.Timedelta(minutes=3) - age)
    assert scores([row], "account.new")["p1"] == pytest.approx(expected)


def _history(decisions: list[tuple[str, pd.Timedelta]], submitted_after: pd.Timedelta) -> tuple[list, list]:
    """Past proofs of w1 with their decisions, then one target proof submitted later."""
    rows, decided = [], []
    for i, (outcome, when) in enumerate(decisions):
        rows.append(proof(i, worker_id="w1", is_target=False, at=T0 + when - pd.Timedelta(hours=1)))
        decided.append({"proof_id": f"p{i}", "worker_id": "w1", "decision": outcome, "decided_at": T0 + when})
    rows.append(proof(99, worker_id="w1", at=T0 + submitted_after))
    return rows, decided


def test_rejections_before_the_proof_raise_the_score() -> None:
    rows, decided = _history([("rejected", DAY), ("rejected", 2 * DAY), ("approved", 3 * DAY)], 4 * DAY)
    output = run(rows, decisions=decided)
    assert output.scores.loc["p99", "account.reputation"] > 0.5
    assert output.features.loc["p99", "worker_decisions"] == 3


def test_decisions_made_after_the_proof_are_not_used() -> None:
    rows, decided = _history([("rejected", 5 * DAY), ("rejected", 6 * DAY)], 4 * DAY)
    output = run(rows, decisions=decided, now=T0 + 10 * DAY)
    assert output.scores.loc["p99", "account.reputation"] == 0.0
    assert output.features.loc["p99", "worker_decisions"] == 0


def test_old_rejections_fade() -> None:
    recent = run(*_history([("rejected", DAY), ("approved", 2 * DAY)], 3 * DAY)[:1],
                 decisions=_history([("rejected", DAY), ("approved", 2 * DAY)], 3 * DAY)[1])
    rows, decided = _history([("rejected", DAY), ("approved", 300 * DAY)], 301 * DAY)
    faded = run(rows, decisions=decided, now=T0 + 302 * DAY)
    assert faded.features.loc["p99", "worker_reject_rate"] < recent.features.loc["p99", "worker_reject_rate"]


def test_no_history_is_neutral() -> None:
    assert scores([proof(1)], "account.reputation")["p1"] == 0.0


def test_velocity() -> None:
    fast = [proof(i, worker_id="w1", at=T0 + pd.Timedelta(minutes=5 * i)) for i in range(12)]
    slow = [proof(100 + i, worker_id="w2", at=T0 + pd.Timedelta(hours=5 * i)) for i in range(5)]
    result = scores(fast + slow, "account.velocity")
    assert result[[f"p{i}" for i in range(12)]].max() == 1.0
    assert result[[f"p{100 + i}" for i in range(5)]].max() == 0.0


def _batch(accounts: int, campaigns: int, created_apart: pd.Timedelta, first: int = 0) -> list[dict]:
    rows = []
    for c in range(campaigns):
        for a in range(accounts):
            rows.append(proof(first + 100 * c + a, worker_id=f"w{first + a}", campaign_id=f"c{c}",
                              worker_created_at=T0 - 90 * DAY + a * created_apart,
                              at=T0 + c * DAY + pd.Timedelta(minutes=3 * a)))
    return rows


def test_accounts_created_together_that_act_together() -> None:
    batch = scores(_batch(6, 3, pd.Timedelta(minutes=10)), "account.created_together")
    spread = scores(_batch(6, 3, 30 * DAY), "account.created_together")
    assert batch.min() == 1.0
    assert spread.max() == 0.0


def test_created_together_needs_more_than_one_shared_campaign() -> None:
    config = with_params("account.created_together", min_campaigns=2)
    assert scores(_batch(6, 1, pd.Timedelta(minutes=10)), "account.created_together", config).max() == 0.0

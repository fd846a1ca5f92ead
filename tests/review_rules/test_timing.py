"""Timing signals: impossible durations, dead rooms, bursts, clockwork and sleepless accounts."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.review_rules.frames import T0, proof, scores

S = pd.Timedelta(seconds=1)


def _timed(accept_to_start: int, start_to_submit: int, watch: int | None, min_watch: int | None = None,
           action: str = "watch") -> dict:
    return proof(1, accepted_at=T0, started_at=T0 + accept_to_start * S,
                 submitted_at=T0 + (accept_to_start + start_to_submit) * S, watch_seconds=watch,
                 min_watch_seconds=min_watch, action=action)


@pytest.mark.parametrize(("row", "expected"), [
    (_timed(20, 400, 360), 0.0),
    (_timed(20, 60, 300), 1.0),  # claims 5 minutes, submitted 1 minute after starting
    (_timed(20, 305, 300), 0.0),  # within the clock tolerance
    (_timed(20, 60, None, action="like"), 0.0),
    (proof(1, accepted_at=T0, started_at=T0, submitted_at=T0 - 60 * S), 1.0),  # submitted before accepting
])
def test_impossible_watch(row: dict, expected: float) -> None:
    assert scores([row], "timing.impossible_watch")["p1"] == expected


@pytest.mark.parametrize(("row", "expected"), [
    (_timed(20, 400, 360, min_watch=300), 0.0),
    (_timed(20, 400, 200, min_watch=300), 1.0),  # claims less than the campaign requires
    (_timed(2, 100, 300, min_watch=300), 1.0),  # submitted before the required time could pass
    (_timed(1, 2, None, action="like"), 0.5),  # 3 seconds for any task
    (_timed(5, 30, None, action="like"), 0.0),
])
def test_too_fast(row: dict, expected: float) -> None:
    assert scores([row], "timing.too_fast")["p1"] == expected


SESSIONS = [{"room_id": "r1", "starts_at": T0 - pd.Timedelta(hours=1), "ends_at": T0 + pd.Timedelta(hours=2)},
            {"room_id": "r1", "starts_at": T0 + pd.Timedelta(days=1), "ends_at": T0 + pd.Timedelta(days=1, hours=2)}]


@pytest.mark.parametrize(("at", "action", "room", "expected"), [
    (T0, "comment", "r1", 0.0),  # during the first broadcast
    (T0 + pd.Timedelta(hours=6), "comment", "r1", 1.0),  # between broadcasts
    (T0 + pd.Timedelta(hours=6), "follow", "r1", 0.3),  # following works offline: weaker
    (T0 + pd.Timedelta(hours=1, minutes=59), "like", "r1", 0.0),  # submitted within the grace period
    (T0 + pd.Timedelta(hours=6), "comment", "r2", 0.0),  # a room without known sessions is not judged
])
def test_outside_live_session(at: pd.Timestamp, action: str, room: str, expected: float) -> None:
    row = proof(1, at=at, action=action, room_id=room)
    assert scores([row], "timing.outside_session", sessions=SESSIONS)["p1"] == pytest.approx(expected)


def test_burst_of_accounts_on_one_campaign() -> None:
    background = [proof(i, at=T0 + pd.Timedelta(minutes=30 * i)) for i in range(40)]
    burst = [proof(100 + i, at=T0 + pd.Timedelta(hours=7, minutes=10) + 5 * i * S) for i in range(15)]
    result = scores(background + burst, "timing.campaign_burst")
    assert result[[f"p{100 + i}" for i in range(15)]].min() > 0.5
    assert result[[f"p{i}" for i in range(40)]].max() == 0.0


def _worker_times(offsets_seconds: np.ndarray, worker: str = "w1") -> list[dict]:
    return [proof(i, worker_id=worker, at=T0 + float(s) * S) for i, s in enumerate(offsets_seconds)]


def test_clockwork_submissions() -> None:
    jitter = np.random.default_rng(1).normal(0, 2, 20)
    bot = scores(_worker_times(np.arange(20) * 600 + jitter), "timing.regular_intervals")
    assert bot.min() == 1.0


def test_irregular_people_and_daily_habits_are_not_clockwork() -> None:
    rng = np.random.default_rng(2)
    person = scores(_worker_times(np.cumsum(rng.exponential(3000, 20))), "timing.regular_intervals")
    habit = scores(_worker_times(np.arange(20) * 86400 + rng.normal(0, 60, 20)), "timing.regular_intervals")
    assert person.max() == 0.0 and habit.max() == 0.0


def test_sleepless_accounts_are_round_the_clock() -> None:
    day = np.arange(48) * 1800.0  # every half hour for a day
    evenings = np.concatenate([d * 86400 + np.arange(6) * 1200.0 for d in range(8)])  # 20:00-22:00 UTC+0 daily
    result = scores(_worker_times(day, "w1") + [
        proof(100 + i, worker_id="w2", at=T0.normalize() + pd.Timedelta(hours=20) + float(s) * S)
        for i, s in enumerate(evenings)], "timing.round_the_clock")
    assert result[[f"p{i}" for i in range(48)]].min() == 1.0
    assert result[[f"p{100 + i}" for i in range(48)]].max() == 0.0


def test_few_proofs_are_not_judged_round_the_clock() -> None:
    assert scores(_worker_times(np.arange(6) * 4 * 3600.0), "timing.round_the_clock").max() == 0.0


def test_a_script_running_in_sessions_keeps_its_rhythm_inside_each() -> None:
    import pandas as pd

    from tests.review_rules.frames import T0, proof, scores

    rows, i = [], 0
    for session in range(3):  # ten tasks every 9 minutes, then hours of pause
        start = T0 + pd.Timedelta(hours=7 * session, minutes=17 * session)
        for k in range(10):
            rows.append(proof(i, worker_id="bot", campaign_id=f"c{i}", at=start + pd.Timedelta(minutes=9 * k)))
            i += 1
    assert scores(rows, "timing.regular_intervals").min() == 1.0

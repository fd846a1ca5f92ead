"""The API's fixed-window limiter: counts per key, a window opened by the key's first request,
the same verdicts in memory and on Redis, memory when Redis fails."""
from __future__ import annotations

import os

import pytest
from redis.exceptions import ConnectionError as RedisConnectionError

from app.platform import ratelimit
from app.platform.ratelimit import WindowLimiter

REDIS_URL = os.environ.get("TEST_REDIS_URL", "")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_key_gets_its_limit_per_window_then_429_until_the_window_ends(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ratelimit.time, "monotonic", clock)
    limiter = WindowLimiter()
    verdicts = [limiter.hit("token-a", "3 per minute") for _ in range(4)]
    assert [v.allowed for v in verdicts] == [True, True, True, False]
    assert [v.remaining for v in verdicts] == [2, 1, 0, 0]
    refused = verdicts[-1]
    assert refused.headers()["Retry-After"] == "60" and refused.headers()["X-RateLimit-Limit"] == "3"
    assert limiter.hit("token-b", "3 per minute").allowed  # every key has its own allowance
    clock.now += 59
    assert not limiter.hit("token-a", "3 per minute").allowed
    clock.now += 1  # the window opened by the first request has ended
    assert limiter.hit("token-a", "3 per minute").allowed


def test_a_failing_store_falls_back_to_counting_in_memory():
    def broken():  # noqa: ANN202
        raise RedisConnectionError("connection refused")

    limiter = WindowLimiter(broken)
    assert [limiter.hit("k", "2 per minute").allowed for _ in range(3)] == [True, True, False]


@pytest.mark.skipif(not REDIS_URL, reason="needs TEST_REDIS_URL")
def test_on_redis_the_window_is_one_key_with_the_windows_expiry():
    from redis import Redis

    redis = Redis.from_url(REDIS_URL)
    redis.delete(*redis.keys(f"{ratelimit.KEY_PREFIX}:*") or ["-"])
    limiter = WindowLimiter(lambda: redis)
    verdicts = [limiter.hit("token-r", "2 per hour") for _ in range(3)]
    assert [v.allowed for v in verdicts] == [True, True, False]
    key = f"{ratelimit.KEY_PREFIX}:2/3600:token-r"
    assert int(redis.get(key)) == 3 and 3590 <= redis.ttl(key) <= 3600
    assert 3590 <= verdicts[-1].reset_in <= 3600
    redis.delete(key)

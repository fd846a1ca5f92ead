"""Per-client request limits for the JSON API: one Redis round trip a request.

Flask-Limiter's moving window (kept for sign-ins, where a pause must last its full length) costs
the API two Lua scripts a request, one of which walks the whole window: up to API_RATE_LIMIT
entries, 3,000 by default, on every request. The API takes a fixed window instead, opened by a
client's first request: one Lua script counts, sets the expiry on the first count and reads it.
At most the limit passes in any window, so at most twice the limit across a window's end (the
price of counting instead of remembering each request). Without Redis, or while it is down,
each process counts in its own memory, as Flask-Limiter's fallback does.
"""
from __future__ import annotations

import functools
import logging
import math
import threading
import time
from dataclasses import dataclass

from limits import parse
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

KEY_PREFIX = "workbench-limits:api"
_parse = functools.lru_cache(maxsize=64)(parse)  # the limit text is read from the config per request


# One EVALSHA: count the request, open the window with the first one, say how long it has left.
COUNT_IN_WINDOW = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {count, redis.call('PTTL', KEYS[1])}
"""


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: int
    remaining: int
    reset_in: int  # whole seconds until the window ends

    def headers(self) -> dict[str, str]:
        headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining),
                   "X-RateLimit-Reset": str(int(time.time()) + self.reset_in)}
        if not self.allowed:
            headers["Retry-After"] = str(self.reset_in)
        return headers


class WindowLimiter:
    """Counts requests per key in fixed windows opened by each key's first request."""

    def __init__(self, redis_factory=None):  # noqa: ANN001 - () -> redis.Redis, or None: memory only
        self._redis_factory = redis_factory
        self._memory: dict[str, tuple[float, int]] = {}  # key -> (window end, count)
        self._lock = threading.Lock()
        self._script = None  # COUNT_IN_WINDOW registered with the current Redis client

    def hit(self, key: str, limit_text: str) -> Verdict:
        """Count one request for `key` against `limit_text` (Flask-Limiter syntax, "3000 per minute")."""
        item = _parse(limit_text)
        window = item.get_expiry()
        counted = None
        if self._redis_factory is not None:
            try:
                counted = self._hit_redis(f"{KEY_PREFIX}:{item.amount}/{window}:{key}", window)
            except RedisError:
                log.warning("rate limit store unavailable; counting in this process")
        if counted is None:
            counted = self._hit_memory(f"{item.amount}/{window}:{key}", window)
        count, reset_in = counted
        return Verdict(count <= item.amount, item.amount, max(0, item.amount - count), max(1, reset_in))

    def _hit_redis(self, key: str, window: int) -> tuple[int, int]:
        redis = self._redis_factory()
        if self._script is None or self._script.registered_client is not redis:
            self._script = redis.register_script(COUNT_IN_WINDOW)
        count, pttl = self._script(keys=[key], args=[window])
        return count, math.ceil(max(pttl, 0) / 1000)

    def _hit_memory(self, key: str, window: int) -> tuple[int, int]:
        now = time.monotonic()
        with self._lock:
            ends, count = self._memory.get(key, (0.0, 0))
            if ends <= now:
                ends, count = now + window, 0
                if len(self._memory) > 10_000:  # forget ended windows now and then
                    self._memory = {k: v for k, v in self._memory.items() if v[0] > now}
            self._memory[key] = (ends, count + 1)
        return count + 1, math.ceil(ends - now)

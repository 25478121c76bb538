"""Per-backend send rates shared by every worker (GCRA on Redis).

Each send reserves the next slot of its backend's schedule in Redis and sleeps until it;
workers on any host share the schedule. Without Redis (the one-machine default) the
schedule is kept in the process, which is exact for a single worker process.

No one-second window ever holds more sends than the rate, also as the senders' clocks
see it: the operating system may wake a sender late, so a sender that wakes more than
``LATE_TOLERANCE_SECONDS`` after its slot gives the slot up and reserves another, and the
slots are spaced so that any ``rate`` of them span one second plus that tolerance. Any
``rate + 1`` sends therefore span at least a second. The cost: sends go 2 % under the set
rate.

Rates are set per backend: ``SMS_BACKENDS[alias]["RATE_LIMIT"]`` (messages a second) and
``CCM_EMAIL_RATE_LIMIT`` for email; none means unlimited.
"""

import threading
import time
from typing import Any

import redis
from django.conf import settings

from ccm.metrics import RATE_LIMIT_WAIT_SECONDS

LATE_TOLERANCE_SECONDS = 0.02

_SCRIPT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
redis.call('SET', KEYS[1], tat + interval, 'PX', math.floor((tat + interval - now) / 1000) + 1000)
return tat - now
"""


class RateLimiter:
    """``reserve(key, per_second)`` returns how long to wait (seconds) before sending."""

    def __init__(self, redis_url: str | None) -> None:
        self._client = redis.Redis.from_url(redis_url, socket_timeout=5) if redis_url else None
        self._script: Any = self._client.register_script(_SCRIPT) if self._client else None
        self._local: dict[str, float] = {}
        self._lock = threading.Lock()

    def reserve(self, key: str, per_second: float) -> float:
        interval_us = int(1_000_000 * (1 + LATE_TOLERANCE_SECONDS) / per_second)
        if self._script is not None:
            delay = int(self._script(keys=[f"ccm:rate:{key}"], args=[interval_us])) / 1_000_000
        else:
            with self._lock:
                now = time.monotonic()
                slot = max(self._local.get(key, now), now)
                self._local[key] = slot + interval_us / 1_000_000
                delay = slot - now
        RATE_LIMIT_WAIT_SECONDS.labels(key=key).observe(max(delay, 0.0))
        return delay

    def wait(self, key: str, per_second: float | None) -> float:
        """Sleep until this send's slot (another one when woken too late for it); returns
        the time waited."""
        if not per_second:
            return 0.0
        waited = 0.0
        while True:
            # The slot in this process's clock, counted from before the reservation: a
            # little early, so lateness is never underestimated.
            slot = time.monotonic()
            delay = max(self.reserve(key, per_second), 0.0)
            slot += delay
            if delay > 0:
                time.sleep(delay)
            waited += delay
            if time.monotonic() - slot <= LATE_TOLERANCE_SECONDS:
                return waited


_limiter: RateLimiter | None = None


def limiter() -> RateLimiter:
    global _limiter
    if _limiter is None:
        _limiter = RateLimiter(settings.CCM_RATE_LIMIT_REDIS_URL or None)
    return _limiter


def backend_rate_limit(alias: str) -> float:
    """Messages a second allowed for SMS backend ``alias`` (0: unlimited)."""
    configured: dict[str, Any] = settings.SMS_BACKENDS[alias]
    return float(configured.get("RATE_LIMIT") or 0)

import itertools
import threading
import time
import uuid

import pytest

from channels import rate_limits
from channels.rate_limits import RateLimiter

REDIS_URL = "redis://127.0.0.1:6379/14"


class RateLimiterTests:
    def test_workers_sharing_redis_get_consecutive_slots(self):
        key = f"test-{uuid.uuid4()}"
        first_worker, second_worker = RateLimiter(REDIS_URL), RateLimiter(REDIS_URL)
        waits = [w.reserve(key, 10) for w in (first_worker, second_worker) * 5]
        assert waits[0] == pytest.approx(0, abs=0.02)
        # Each reservation is one interval (0.1 s) after the previous, whichever worker asks.
        for before, after in itertools.pairwise(waits):
            assert after - before == pytest.approx(0.1, abs=0.02)

    def test_different_backends_do_not_share_a_schedule(self):
        limiter = RateLimiter(REDIS_URL)
        a, b = f"a-{uuid.uuid4()}", f"b-{uuid.uuid4()}"
        limiter.reserve(a, 1)
        assert limiter.reserve(b, 1) == pytest.approx(0, abs=0.02)
        assert limiter.reserve(a, 1) == pytest.approx(1, abs=0.05)

    def test_without_redis_the_schedule_is_kept_in_the_process(self):
        limiter = RateLimiter(None)
        waits = [limiter.reserve("sms:default", 100) for _ in range(3)]
        assert waits[0] == pytest.approx(0, abs=0.005)
        assert waits[2] == pytest.approx(0.02, abs=0.005)

    def test_no_limit_means_no_wait(self):
        assert RateLimiter(None).wait("email", None) == 0.0

    def test_a_sender_woken_too_late_for_its_slot_takes_another(self, monkeypatch):
        limiter = RateLimiter(None)
        reservations = []
        original_reserve = limiter.reserve

        def reserve(key: str, per_second: float) -> float:
            reservations.append(key)
            return original_reserve(key, per_second)

        real_sleep = time.sleep
        naps = iter([rate_limits.LATE_TOLERANCE_SECONDS + 0.05])  # the first wake-up is late

        def sleep(seconds: float) -> None:
            real_sleep(seconds + next(naps, 0.0))

        monkeypatch.setattr(limiter, "reserve", reserve)
        monkeypatch.setattr(rate_limits.time, "sleep", sleep)
        limiter.wait("sms:default", 50)  # the first slot is now: no sleep
        limiter.wait("sms:default", 50)  # sleeps, wakes late, reserves again
        assert len(reservations) == 3

    def test_no_second_holds_more_sends_than_the_rate(self):
        limiter = RateLimiter(REDIS_URL)
        key = f"test-{uuid.uuid4()}"
        sends: list[float] = []

        def sender() -> None:
            for _ in range(12):
                limiter.wait(key, 20)
                sends.append(time.monotonic())

        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        sends.sort()
        # Any 21 consecutive sends span at least a second.
        assert all(b - a >= 1.0 for a, b in zip(sends, sends[20:], strict=False))
        assert len(sends) == 24

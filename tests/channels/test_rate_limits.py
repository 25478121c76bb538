import itertools
import uuid

import pytest

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

"""The shared send-rate limiter (``channels.rate_limits``: GCRA on Redis) held by several
processes at once.

For each set rate, ``PROCESSES`` processes send as fast as the limiter lets them on one
schedule for ``SECONDS`` seconds: each calls ``RateLimiter.wait`` (reserve a slot, sleep
until it, take another when woken too late) and records the moment it returns, when it
would send. Prints, per rate, the achieved rate over the set rate as the ratio (the bare
figure is the set rate; target within 5 %), and the most sends in any one-second window
sliding over those moments (target: never more than the rate).

Uses Redis database 13 (``CCM_BENCH_REDIS_URL`` to change it), keys of its own that
expire by themselves.
"""

import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

RATES = (50, 200)
PROCESSES = 3
SECONDS = 5.0
REDIS_URL = os.environ.get("CCM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def _sender(key: str, per_second: float, start: float, end: float, out: Any) -> None:
    """Wait for a slot, "send" (record the moment), again until ``end``."""
    from channels.rate_limits import RateLimiter

    limiter = RateLimiter(REDIS_URL)
    sends: list[float] = []
    time.sleep(max(start - time.time(), 0))
    while True:
        limiter.wait(key, per_second)
        now = time.time()
        if now >= end:
            break
        sends.append(now)
    out.put(sends)


def max_in_any_second(times: Sequence[float], second: float = 1.0) -> int:
    """The most of ``times`` (sorted) in any window [t, t + second)."""
    most = 0
    first = 0
    for last, moment in enumerate(times):
        while moment - times[first] >= second:
            first += 1
        most = max(most, last - first + 1)
    return most


def measure(per_second: float, processes: int = PROCESSES, seconds: float = SECONDS) -> str:
    context = multiprocessing.get_context("fork")
    out = context.Queue()
    key = f"bench:{uuid.uuid4().hex}"
    start = time.time() + 0.5
    workers = [
        context.Process(target=_sender, args=(key, per_second, start, start + seconds, out))
        for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    sends: list[float] = []
    for _ in workers:
        sends += out.get(timeout=seconds + 60)
    for worker in workers:
        worker.join()
    sends.sort()
    achieved = (len(sends) - 1) / (sends[-1] - sends[0])
    return (
        f"rate_limit_{per_second:g}_per_s: ratio {achieved / per_second:.3f} "
        f"(project {achieved:,.1f}/s, bare {per_second:g}/s set; "
        f"{len(sends)} sends from {processes} processes in {seconds:g} s; "
        f"max {max_in_any_second(sends)} in any second by the senders' clocks)"
    )


def run(compare: Callable[..., str]) -> str:
    return "\n".join(measure(rate) for rate in RATES)


if __name__ == "__main__":
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccm.settings.local")
    import django

    django.setup()
    print(run(lambda *args, **kwargs: ""))

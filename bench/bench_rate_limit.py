"""The shared send-rate limiter (``channels.rate_limits``: GCRA on Redis) held by several
processes at once.

For each set rate, ``PROCESSES`` processes send as fast as the limiter lets them on one
schedule for ``SECONDS`` seconds: each reserves its slot with the limiter's own script,
sleeps until it and records the moment it would send. Prints, per rate, the achieved rate
over the set rate as the ratio (the bare figure is the set rate), and the most sends in
any one-second window sliding over (a) the slots the limiter granted, exact in Redis's
clock: the limiter allows no burst, so never more than the rate; (b) the moments the
senders woke up, which a late wake-up (the operating system's scheduling) can crowd by
a message or two.

Uses Redis database 13 (``CCM_BENCH_REDIS_URL`` to change it), keys of its own that
expire by themselves.
"""

import multiprocessing
import os
import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import redis

RATES = (50, 200)
PROCESSES = 3
SECONDS = 5.0
REDIS_URL = os.environ.get("CCM_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


def _sender(key: str, per_second: float, start: float, end: float, out: Any) -> None:
    """Reserve, sleep, "send"; records each slot as the limiter's script granted it (in
    Redis's clock, microseconds: read in the same transaction as the reservation) and
    the moment the sleep ended (this process's clock)."""
    from channels.rate_limits import _SCRIPT

    client = redis.Redis.from_url(REDIS_URL)
    script = client.register_script(_SCRIPT)
    interval_us = int(1_000_000 / per_second)
    redis_key = f"ccm:rate:{key}"
    slots: list[int] = []
    sends: list[float] = []
    time.sleep(max(start - time.time(), 0))
    while True:
        pipe = client.pipeline(transaction=True)
        script(keys=[redis_key], args=[interval_us], client=pipe)
        pipe.get(redis_key)
        delay_us, next_slot = pipe.execute()
        if delay_us > 0:
            time.sleep(delay_us / 1_000_000)
        now = time.time()
        if now >= end:
            break
        slots.append(int(next_slot) - interval_us)
        sends.append(now)
    out.put((slots, sends))


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
    slots: list[int] = []
    sends: list[float] = []
    for _ in workers:
        worker_slots, worker_sends = out.get(timeout=seconds + 60)
        slots += worker_slots
        sends += worker_sends
    for worker in workers:
        worker.join()
    slots.sort()
    sends.sort()
    achieved = (len(slots) - 1) / ((slots[-1] - slots[0]) / 1_000_000)
    return (
        f"rate_limit_{per_second:g}_per_s: ratio {achieved / per_second:.3f} "
        f"(project {achieved:,.1f}/s, bare {per_second:g}/s set; "
        f"{len(slots)} sends from {processes} processes in {seconds:g} s; "
        f"max {max_in_any_second(slots, 1_000_000)} in any second of the limiter's schedule, "
        f"{max_in_any_second(sends)} by the senders' clocks after sleeping)"
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

"""Runs every benchmark in bench/ and prints one line each:
``name: ratio X (project N/s, bare M/s)``.

Each benchmark measures the project's path and a bare baseline doing the same work in the
same run, interleaved (A B A B ...), and reports the median ratio.
"""

import importlib
import os
import pkgutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ccm.settings.local")
os.environ.setdefault("DJANGO_DEBUG", "false")
os.environ.setdefault("CCM_LOG_LEVEL", "WARNING")


def rate(fn: Callable[[], int], seconds: float = 0.5) -> float:
    """Items per second done by ``fn`` (which returns how many items it did) over ~seconds."""
    done = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        done += fn()
    return done / elapsed


def _rate(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def compare(name: str, project: Callable[[], int], bare: Callable[[], int], rounds: int = 5) -> str:
    project(), bare()  # warm up caches on both sides
    project_rates, bare_rates = [], []
    for _ in range(rounds):
        project_rates.append(rate(project))
        bare_rates.append(rate(bare))
    ratios = [p / b for p, b in zip(project_rates, bare_rates, strict=True)]
    return (
        f"{name}: ratio {statistics.median(ratios):.2f} "
        f"(project {_rate(statistics.median(project_rates))}/s, "
        f"bare {_rate(statistics.median(bare_rates))}/s)"
    )


def main() -> None:
    import django

    django.setup()
    wanted = set(sys.argv[1:])
    for module_info in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if not module_info.name.startswith("bench_"):
            continue
        if wanted and module_info.name not in wanted:
            continue
        module = importlib.import_module(f"bench.{module_info.name}")
        print(module.run(compare), flush=True)


if __name__ == "__main__":
    main()

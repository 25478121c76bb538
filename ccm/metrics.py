"""Prometheus metrics: what the processes observe, and what the database and broker hold.

Two kinds, so that the figures stay right with many processes on many hosts:

- Observed in a process (render time, rate-limit waits): histograms of
  ``prometheus_client``. With ``PROMETHEUS_MULTIPROC_DIR`` set in the environment of
  every process of a host (gunicorn and Celery workers alike, before they start), each
  process writes its samples there and a scrape adds up the whole host.
- Read at scrape time (messages by state and channel, queue depth, archive seal lag):
  gauges computed from PostgreSQL and the broker, the same whichever web process answers.

``/metrics`` (``metrics_view``) serves both. It answers only a request carrying
``Authorization: Bearer <CCM_METRICS_TOKEN>`` or coming from an address in
``CCM_METRICS_ALLOWED_IPS``; with neither set it answers 403 to everyone.
A host running only workers serves its processes' samples itself: set
``CCM_WORKER_METRICS_PORT`` (see ``worker_metrics_serve``).
"""

import functools
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Histogram,
    generate_latest,
    multiprocess,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ccm import broker
from ccm.client_address import client_address

logger = logging.getLogger(__name__)
F = TypeVar("F", bound=Callable[..., Any])

RENDER_SECONDS = Histogram(
    "ccm_render_seconds",
    "Time to render one message (rendering.render.render), by channel.",
    ["channel"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
RATE_LIMIT_WAIT_SECONDS = Histogram(
    "ccm_rate_limit_wait_seconds",
    "Time a send waited for its backend's rate limit, by limit key (email, sms:<alias>).",
    ["key"],
    buckets=(0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def render_timed(func: F) -> F:
    """Observe ``render(version, channel, ...)`` in RENDER_SECONDS, failures included."""

    @functools.wraps(func)
    def timed(*args: Any, **kwargs: Any) -> Any:
        channel = kwargs.get("channel", args[1] if len(args) > 1 else "")
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            RENDER_SECONDS.labels(channel=str(channel)).observe(time.perf_counter() - started)

    return timed  # type: ignore[return-value]


# Gauges read at scrape time from data the apps own: each app registers its collector
# from its AppConfig.ready() (channels/gauges.py, compliance/gauges.py).
_scrape_collectors: dict[str, Collector] = {}


def scrape_collector_register(name: str, collector: Collector) -> None:
    """Have ``/metrics`` read ``collector`` at each scrape (one collector per ``name``)."""
    _scrape_collectors[name] = collector


class DatabaseCollector(Collector):
    """Gauges read from the database (the apps' collectors) and the broker at each scrape."""

    def collect(self) -> Iterator[Metric]:
        for collector in _scrape_collectors.values():
            yield from collector.collect()
        queues = self._queues()
        if queues is not None:
            yield queues

    def _queues(self) -> GaugeMetricFamily | None:
        try:
            lengths = broker.broker_queue_sizes()
        except Exception as exc:  # a broker outage must not hide the rest
            logger.warning("queue lengths unavailable: %s", exc)
            return None
        family = GaugeMetricFamily(
            "ccm_celery_queue_length",
            "Tasks waiting in each Celery queue (not those a worker has taken).",
            labels=["queue"],
        )
        for queue, length in sorted(lengths.items()):
            family.add_metric([queue], length)
        return family


def _process_registry() -> CollectorRegistry:
    """This host's processes (all of them in multiprocess mode, else this one)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def metrics_text() -> bytes:
    """Everything ``/metrics`` shows, in the Prometheus text format."""
    database = CollectorRegistry(auto_describe=False)
    database.register(DatabaseCollector())
    return generate_latest(_process_registry()) + generate_latest(database)


def metrics_access_allowed(request: HttpRequest) -> bool:
    """A bearer token equal to CCM_METRICS_TOKEN, or a client address in
    CCM_METRICS_ALLOWED_IPS (addresses or networks)."""
    token: str = settings.CCM_METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if (
        token
        and header.startswith("Bearer ")
        and hmac.compare_digest(header.removeprefix("Bearer ").strip(), token)
    ):
        return True
    allowed: list[str] = settings.CCM_METRICS_ALLOWED_IPS
    if not allowed:
        return False
    address = client_address(request)
    if address is None:
        return False
    client = ipaddress.ip_address(address)
    return any(client in ipaddress.ip_network(network, strict=False) for network in allowed)


@login_not_required
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not metrics_access_allowed(request):
        return HttpResponse(
            "Forbidden: send Authorization: Bearer <CCM_METRICS_TOKEN>, or scrape from an "
            "address in CCM_METRICS_ALLOWED_IPS.\n",
            status=403,
            content_type="text/plain",
        )
    return HttpResponse(metrics_text(), content_type=CONTENT_TYPE_LATEST)


def worker_metrics_serve(**_: Any) -> None:
    """Celery ``worker_ready``: serve this host's process samples (no database gauges) on
    CCM_WORKER_METRICS_ADDRESS:CCM_WORKER_METRICS_PORT from a thread of the worker's main
    process, when the port is set."""
    port: int = settings.CCM_WORKER_METRICS_PORT
    if port:
        address: str = settings.CCM_WORKER_METRICS_ADDRESS
        start_http_server(port, addr=address, registry=_process_registry())
        logger.info("worker metrics on http://%s:%s/metrics", address, port)
